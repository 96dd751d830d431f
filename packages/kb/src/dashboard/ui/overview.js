// Overview: the topology by verdict, the fleet's totals now and over the last hour, the fog leader of each
// region. Answers "is everything alive, what does it draw and emit, who leads each region".
import { useEffect, useState } from "preact/hooks";
import { getJson } from "./api.js";
import { eur, fmt, pct, watts } from "./format.js";
import { html } from "./html.js";
import { deviceRows, regionRows, totalsNow, VERDICTS } from "./model.js";
import { Topology } from "./topology.js";

const HOUR_MS = 3_600_000;

/** The first and last sample of each device in the last hour (one request per page visit, and again when
 * the set of devices changes); energy, carbon and cost end at the live counters of the Device status, solar
 * (not in the status) at the last sample. */
function useHourStart(names) {
  const [starts, setStarts] = useState(new Map());
  const key = names.join(",");
  useEffect(() => {
    let stop = false;
    getJson(`/api/v1/series?from=${Date.now() - HOUR_MS}`).then(
      (r) => {
        if (!stop) setStarts(new Map(Object.entries(r.devices)));
      },
      () => {},
    );
    return () => {
      stop = true;
    };
  }, [key]);
  return starts;
}

function hourTotals(rows, starts) {
  let energyWh = 0;
  let solarWh = 0;
  let carbonG = 0;
  let cost = 0;
  for (const r of rows) {
    const span = starts.get(r.name);
    if (!span || r.energyWh === undefined) continue;
    const a = span.first;
    energyWh += Math.max(0, r.energyWh - a.energyWh);
    solarWh += Math.max(0, span.last.solarEnergyWh - a.solarEnergyWh);
    carbonG += Math.max(0, (r.carbonG ?? a.carbonG) - a.carbonG);
    cost += Math.max(0, (r.cost ?? a.cost) - a.cost);
  }
  return { energyWh, carbonG, cost, solarShare: energyWh > 0 ? Math.min(1, solarWh / energyWh) : undefined };
}

const Stat = ({ label, value, hint, id }) =>
  html`<div class="stat" data-stat=${id}><div class="stat-value">${value}</div><div class="stat-label">${label}</div>${
    hint ? html`<div class="stat-hint">${hint}</div>` : ""
  }</div>`;

export function Overview({ live }) {
  const rows = deviceRows(live);
  const regions = regionRows(live, rows);
  const now = totalsNow(rows);
  const starts = useHourStart(rows.filter((r) => r.live).map((r) => r.name));
  const hour = hourTotals(rows, starts);
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, rows.filter((r) => r.verdict === v).length]));
  return html`<section aria-labelledby="h-overview">
    <h1 id="h-overview">Overview</h1>
    <p class="verdicts" aria-label="Devices by verdict">
      ${VERDICTS.filter((v) => counts[v] || v !== "unknown").map(
        (v) => html`<span class=${`pill v-${v}`} data-count=${v}>${counts[v]} ${v}</span>`,
      )}
      <span class="muted">of ${rows.length} devices</span>
    </p>
    <h2>Now</h2>
    <div class="stats">
      <${Stat} id="power" label="power" value=${watts(now.powerW)} />
      <${Stat} id="carbon" label="carbon" value=${`${fmt(now.carbonGPerH, 2)} g/h`} hint="grid share × zone intensity" />
      <${Stat} id="cost" label="cost" value=${`${eur(now.costPerH)}/h`} />
      <${Stat} id="solar" label="from solar" value=${pct(now.solarShare)} />
      <${Stat} id="floor" label="batteries below their floor" value=${String(now.belowFloor)} />
    </div>
    <h2>Last hour</h2>
    <div class="stats">
      <${Stat} id="energy-hour" label="energy" value=${`${fmt(hour.energyWh, 2)} Wh`} />
      <${Stat} id="carbon-hour" label="carbon" value=${`${fmt(hour.carbonG, 2)} g`} />
      <${Stat} id="cost-hour" label="cost" value=${eur(hour.cost)} />
      <${Stat} id="solar-hour" label="from solar" value=${pct(hour.solarShare)} />
    </div>
    <h2>Topology</h2>
    <${Topology} regions=${regions} />
    <p class="legend" aria-hidden="true">
      ${VERDICTS.map((v) => html`<span class=${`pill v-${v}`}>${v}</span>`)}
    </p>
    <h2>Regions</h2>
    <div class="table-wrap"><table class="regions">
      <thead><tr><th scope="col">region</th><th scope="col">fog leader</th><th scope="col">term</th>
        <th scope="col">plan version</th><th scope="col">plans</th><th scope="col">devices</th><th scope="col">power</th></tr></thead>
      <tbody>${regions.map(
        (r) => html`<tr data-region=${r.name}>
          <th scope="row">${r.name || "(none)"}</th>
          <td data-leader>${r.leader ?? "–"}</td><td>${r.term ?? "–"}</td><td>${r.planVersion ?? "–"}</td>
          <td>${r.plansDelivered === false ? "not delivered (no fog lead answers)" : r.plansDelivered ? "delivered" : "–"}</td>
          <td>${r.devices.filter((d) => d.verdict === "alive").length} alive / ${r.devices.length}</td>
          <td>${watts(totalsNow(r.devices).powerW)}</td>
        </tr>`,
      )}</tbody>
    </table></div>
  </section>`;
}
