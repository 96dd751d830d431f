// The dashboard's entry: the session's role, the navigation, the connection banner, and the screen named
// by the address's hash (#/, #/devices, #/devices/NAME, #/applications[/NAME], #/events, #/signals).
import "uplot/dist/uPlot.min.css";
import "./app.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, HttpError } from "./api.js";
import { Applications } from "./applications.js";
import { DevicePage } from "./device.js";
import { Devices } from "./devices.js";
import { Events } from "./events.js";
import { ago } from "./format.js";
import { html } from "./html.js";
import { Live } from "./live.js";
import { Overview } from "./overview.js";
import { Signals } from "./signals.js";

const live = new Live();

const NAV = [
  ["#/", "Overview"],
  ["#/devices", "Devices"],
  ["#/applications", "Applications"],
  ["#/events", "Events"],
  ["#/signals", "Signals"],
];

function route() {
  const parts = (location.hash.replace(/^#\/?/, "") || "").split("/").map(decodeURIComponent);
  return { page: parts[0] || "overview", name: parts[1] };
}

function useLive() {
  const [, setTick] = useState(0);
  useEffect(() => live.subscribe(() => setTick((t) => t + 1)), []);
}

function Banner({ connection }) {
  if (connection.state === "live") return "";
  const text =
    connection.state === "connecting"
      ? "Connecting to the Knowledge Base…"
      : `The Knowledge Base is away (${connection.error || "no answer"}); reconnecting by itself since ${ago(connection.sinceMs)}, attempt ${connection.attempts}. What you see may be stale.`;
  return html`<div class="banner" role="status" data-connection=${connection.state}>${text}</div>`;
}

function App() {
  useLive();
  const [where, setWhere] = useState(route());
  const [me, setMe] = useState(undefined);
  useEffect(() => {
    const on = () => {
      setWhere(route());
      document.getElementById("main")?.focus();
    };
    addEventListener("hashchange", on);
    getJson("/api/v1/whoami").then(setMe, (err) => {
      if (err instanceof HttpError && err.status === 401) location.assign("/login");
    });
    live.start();
    return () => removeEventListener("hashchange", on);
  }, []);
  const current = `#/${where.page === "overview" ? "" : where.page}`;
  let page;
  if (!live.loaded) page = html`<p>Loading…</p>`;
  else if (where.page === "devices" && where.name)
    page = html`<${DevicePage} live=${live} name=${where.name} />`;
  else if (where.page === "devices") page = html`<${Devices} live=${live} />`;
  else if (where.page === "applications") page = html`<${Applications} live=${live} name=${where.name} />`;
  else if (where.page === "events") page = html`<${Events} live=${live} />`;
  else if (where.page === "signals") page = html`<${Signals} live=${live} />`;
  else page = html`<${Overview} live=${live} />`;
  return html`<header class="top">
      <a class="brand" href="#/">qonnect</a>
      <nav aria-label="Screens"><ul>${NAV.map(
        ([href, label]) =>
          html`<li><a href=${href} aria-current=${current === href ? "page" : undefined}>${label}</a></li>`,
      )}</ul></nav>
      <div class="me">
        <span class="live-dot" data-live=${live.connection.state} title=${live.connection.state}>${live.connection.state === "live" ? "live" : live.connection.state}</span>
        ${me ? html`<span class="role" data-role=${me.role}>${me.role}${me.role === "viewer" ? " · read-only" : ""}</span>` : ""}
        <form method="post" action="/logout"><button type="submit" class="link">Log out</button></form>
      </div>
    </header>
    <${Banner} connection=${live.connection} />
    <main id="main" tabindex="-1">${page}</main>`;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
