// Applications: each service's replicas and where they run, the objective totals, the explanation of each
// decision, the moves of the last re-plans with their reasons, and a dry-run "what if". Answers "why does
// this replica run there, and what would other priorities change".

import { PlacementTable, Rejections, Totals } from "./explain.js";
import { clock } from "./format.js";
import { html } from "./html.js";
import { WhatIf } from "./whatif.js";

/** The planner's `why` of a move in words: new, removed, better, or the filter its old device failed. */
const whyOf = (why) =>
  ({ new: "a new replica", removed: "a removed replica", better: "a better place" })[why] ??
  (why === "alive" ? "its device is not alive" : `its device no longer passes the ${why} filter`);

function movesOf(live, name) {
  const out = [];
  for (const r of live.list("Region"))
    for (const m of r.status?.recentMoves ?? [])
      if (m.app === name || m.app?.endsWith(`/${name}`))
        out.push({
          tsMs: Number(m.tsMs ?? 0),
          what: `${m.service}#${m.replica}: ${m.fromDevice || "(new)"} → ${m.toDevice || "(removed)"}`,
          why: m.reason,
          origin: `${r.metadata.name}, plan ${m.planVersion ?? "?"}${m.origin ? ` (${m.origin})` : ""}`,
        });
  for (const e of live.events)
    if (
      (e.reason === "Moved" || e.reason === "Planned" || e.reason === "Replanned") &&
      e.object?.endsWith(`/${name}`)
    )
      out.push({ tsMs: e.timeMs, what: e.reason, why: e.message, origin: "Knowledge Base" });
  return out.sort((a, b) => b.tsMs - a.tsMs).slice(0, 20);
}

export function AppCard({ live, app, open }) {
  const name = app.metadata.name;
  const placement = live.get("Placement", name)?.spec;
  const moves = movesOf(live, name);
  const planned = placement?.moves ?? [];
  return html`<article class="app" data-app=${name} aria-labelledby=${`h-app-${name}`}>
    <h2 id=${`h-app-${name}`}><a href=${`#/applications/${encodeURIComponent(name)}`}>${name}</a>
      <span class="muted"> ${app.kind}${placement ? ` · plan ${placement.planId ?? ""}` : ""}</span></h2>
    ${
      placement?.placements?.length
        ? html`<${Totals} totals=${placement.totals} />
          <${PlacementTable} spec=${placement} caption=${`Where ${name}'s replicas run and why`} />
          <${Rejections} explanation=${placement.explanation} />`
        : html`<p class="muted">Not placed yet${placement?.problems?.length ? `: ${placement.problems.join("; ")}` : "."}</p>`
    }
    ${placement?.job ? html`<p>Job window: starts ${clock(placement.job.startMs)}, ends ${clock(placement.job.endMs)}; saves ${Number(placement.job.savingG ?? 0).toFixed(1)} g against starting at once.</p>` : ""}
    ${
      open
        ? html`<h3>Moves</h3>
          ${planned.length ? html`<ul class="moves">${planned.map((m) => html`<li>step ${m.step}: ${m.op} ${m.service}#${m.replica} on ${m.device} (${whyOf(m.why)})</li>`)}</ul>` : ""}
          ${
            moves.length
              ? html`<ul class="moves" data-moves>${moves.map((m) => html`<li>${clock(m.tsMs)} ${m.what} — ${m.why} <span class="muted">(${m.origin})</span></li>`)}</ul>`
              : html`<p class="muted">No moves recorded.</p>`
          }
          <${WhatIf} app=${app} current=${placement} />`
        : ""
    }
  </article>`;
}

export function Applications({ live, name }) {
  const apps = [...live.list("Application"), ...live.list("Job")].sort((a, b) =>
    a.metadata.name.localeCompare(b.metadata.name),
  );
  const shown = name ? apps.filter((a) => a.metadata.name === name) : apps;
  return html`<section aria-labelledby="h-apps">
    <h1 id="h-apps">${name ? html`<a href="#/applications">Applications</a> / ${name}` : "Applications"}</h1>
    ${shown.length ? shown.map((a) => html`<${AppCard} live=${live} app=${a} open=${Boolean(name) || shown.length === 1} />`) : html`<p>No applications yet. Apply one with <code>qonnect apply -f app.yaml</code>.</p>`}
  </section>`;
}
