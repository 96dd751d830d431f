// The two HTML documents the dashboard serves: the shell that loads the bundle, and the login page (a
// plain form, usable without JavaScript).

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const head = (title: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
</head>`;

export function shellPage(): string {
  return `${head("qonnect dashboard")}
<body>
<a class="skip" href="#main">Skip to content</a>
<div id="app"><p class="loading">Loading the dashboard…</p></div>
<noscript><p>The dashboard needs JavaScript. The same data is at <a href="/api/v1/openapi.json">/api/v1</a>.</p></noscript>
<script type="module" src="/assets/app.js"></script>
</body>
</html>`;
}

export function loginPage(message = ""): string {
  return `${head("Log in · qonnect")}
<body>
<main id="main" class="login">
<h1>qonnect</h1>
<p>Log in with a Knowledge Base token (<code>qonnect kb token create --role viewer</code>).</p>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ""}
<form method="post" action="/login">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus spellcheck="false">
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>`;
}
