// The dashboard's routes on the REST app's listener: the shell page, the bundled assets, log in (form or
// `?token=`, exchanged for the session cookie and removed from the address bar by a redirect) and log out.
// The page itself reads only the REST API and its watch stream.
import type { Context, Hono } from "hono";
import { compress } from "hono/compress";
import { getCookie } from "hono/cookie";
import type { Store } from "../store/store.js";
import { APP_CSS, APP_JS } from "./assets.gen.js";
import { mountFleetWindow } from "./fleet-window.js";
import { loginPage, shellPage } from "./pages.js";
import { cookieAuth, isSecure, SESSION_COOKIE, sessionCookie } from "./session.js";
import { mountWhoAmI, type WhoAmI } from "./whoami.js";

export interface DashboardOptions {
  store: Store;
  nowMs: () => number;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

function secureHeaders(c: Context): void {
  c.header("content-security-policy", CSP);
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
  c.header("cache-control", "no-store");
}

/** Asks the REST API who `token` is: the role and expiry, or undefined when it is refused. */
async function whoIs(app: Hono, c: Context, token: string): Promise<WhoAmI | undefined> {
  if (!/^[\w-]{1,200}$/.test(token)) return undefined;
  const r = await app.request("/api/v1/whoami", { headers: { authorization: `Bearer ${token}` } }, c.env);
  return r.ok ? ((await r.json()) as WhoAmI) : undefined;
}

/** Mounts the dashboard (and the cookie → bearer translation for the API) on the REST app. */
export function mountDashboard(app: Hono, o: DashboardOptions): void {
  app.use("/api/*", cookieAuth());
  mountWhoAmI(app, o);
  mountFleetWindow(app, o);

  const login = async (c: Context, token: string, to: string) => {
    const who = await whoIs(app, c, token.trim());
    secureHeaders(c);
    if (!who) return c.html(loginPage("That token was refused (wrong, expired or revoked)."), 401);
    const maxAgeS = Math.min((who.expireTimeMs - o.nowMs()) / 1000, 7 * 24 * 3600);
    c.header("set-cookie", sessionCookie(token.trim(), maxAgeS, isSecure(c)));
    return c.redirect(to, 303);
  };

  app.get("/", async (c) => {
    const token = c.req.query("token");
    if (token !== undefined) {
      // the address without the token: the redirect removes it from the address bar and history
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return login(c, token, `${url.pathname}${url.search}`);
    }
    secureHeaders(c);
    if (!getCookie(c, SESSION_COOKIE)) return c.redirect("/login", 303);
    return c.html(shellPage());
  });
  app.get("/login", (c) => {
    secureHeaders(c);
    return c.html(loginPage());
  });
  app.post("/login", async (c) => {
    const origin = c.req.header("origin");
    if (origin && origin !== new URL(c.req.url).origin) {
      secureHeaders(c);
      return c.html(loginPage("Log in from this page."), 403);
    }
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    return login(c, typeof form["token"] === "string" ? form["token"] : "", "/");
  });
  app.post("/logout", (c) => {
    c.header("set-cookie", sessionCookie("", 0, isSecure(c)));
    return c.redirect("/login", 303);
  });
  app.use("/assets/*", compress());
  app.get("/assets/app.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "no-cache");
    return c.body(APP_JS);
  });
  app.get("/assets/app.css", (c) => {
    c.header("content-type", "text/css; charset=utf-8");
    c.header("cache-control", "no-cache");
    return c.body(APP_CSS);
  });
}
