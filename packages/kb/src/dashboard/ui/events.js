// Events: newest first, live, with a warnings filter. Answers "what happened, and why".
import { useState } from "preact/hooks";
import { clock } from "./format.js";
import { html } from "./html.js";

export function Events({ live }) {
  const [warnings, setWarnings] = useState(false);
  const [text, setText] = useState("");
  const t = text.toLowerCase();
  const shown = live.events
    .filter((e) => !warnings || e.type === "Warning")
    .filter((e) => !t || `${e.reason} ${e.message} ${e.object}`.toLowerCase().includes(t))
    .slice(0, 300);
  return html`<section aria-labelledby="h-events">
    <h1 id="h-events">Events</h1>
    <div class="filters">
      <label><input type="checkbox" checked=${warnings} onChange=${(e) => setWarnings(e.currentTarget.checked)} data-filter="warnings" /> warnings only</label>
      <label>Filter <input type="search" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></label>
      <span class="muted" aria-live="polite">${shown.length} shown, newest first</span>
    </div>
    <div class="table-wrap"><table class="events">
      <thead><tr><th scope="col">time</th><th scope="col">type</th><th scope="col">reason</th><th scope="col">object</th><th scope="col">message</th></tr></thead>
      <tbody>${shown.map(
        (
          e,
        ) => html`<tr data-event=${e.name} data-type=${e.type} class=${e.type === "Warning" ? "warning" : ""}>
          <td>${clock(e.timeMs)}</td><td>${e.type}</td><td>${e.reason}</td><td>${e.object || "–"}</td><td>${e.message}</td>
        </tr>`,
      )}</tbody>
    </table></div>
  </section>`;
}
