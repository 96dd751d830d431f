// Devices: one sortable, filterable table. Answers "which device is in trouble, what does it draw, what runs
// on it". Sorting is by buttons in the column headers (keyboard and screen-reader friendly).
import { useState } from "preact/hooks";
import { fmt, pct, watts } from "./format.js";
import { html } from "./html.js";
import { deviceRows, VERDICTS } from "./model.js";

/** Rows drawn at once; a larger fleet is narrowed with the filter. */
const MAX_ROWS = 500;

const COLUMNS = [
  ["name", "device"],
  ["site", "site"],
  ["tier", "tier"],
  ["arch", "arch"],
  ["verdict", "verdict"],
  ["powerW", "power"],
  ["soc", "battery"],
  ["solarExcessW", "solar excess"],
  ["cpuUtil", "CPU"],
  ["memUtil", "memory"],
  ["workloads", "workloads"],
];

function compare(a, b, key) {
  const x = key === "workloads" ? a.workloads.length : a[key];
  const y = key === "workloads" ? b.workloads.length : b[key];
  if (x === y) return a.name.localeCompare(b.name);
  if (x === undefined) return 1;
  if (y === undefined) return -1;
  return typeof x === "number" ? x - y : String(x).localeCompare(String(y));
}

export function Devices({ live }) {
  const [sort, setSort] = useState({ key: "name", dir: 1 });
  const [text, setText] = useState("");
  const [verdict, setVerdict] = useState("");
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const rows = deviceRows(live)
    .filter((r) => !verdict || r.verdict === verdict)
    .filter((r) => {
      const hay = [r.name, r.site, r.region, r.tier, r.arch, r.verdict, ...r.workloads]
        .join(" ")
        .toLowerCase();
      return words.every((w) => hay.includes(w));
    })
    .sort((a, b) => sort.dir * compare(a, b, sort.key));
  const shown = rows.slice(0, MAX_ROWS);
  const by = (key) => setSort((s) => ({ key, dir: s.key === key ? -s.dir : 1 }));
  return html`<section aria-labelledby="h-devices">
    <h1 id="h-devices">Devices</h1>
    <div class="filters" role="search">
      <label>Filter <input type="search" value=${text} placeholder="name, site, tier, app…"
        onInput=${(e) => setText(e.currentTarget.value)} data-filter="text" /></label>
      <label>Verdict <select value=${verdict} onChange=${(e) => setVerdict(e.currentTarget.value)} data-filter="verdict">
        <option value="">any</option>
        ${VERDICTS.map((v) => html`<option value=${v}>${v}</option>`)}
      </select></label>
      <span class="muted" aria-live="polite">${
        rows.length > shown.length
          ? `${shown.length} of ${rows.length} shown: filter to narrow`
          : `${rows.length} shown`
      }</span>
    </div>
    <div class="table-wrap"><table class="devices">
      <thead><tr>${COLUMNS.map(
        ([
          key,
          label,
        ]) => html`<th scope="col" aria-sort=${sort.key === key ? (sort.dir > 0 ? "ascending" : "descending") : "none"}>
          <button type="button" class="sort" onClick=${() => by(key)} data-sort=${key}>${label}${
            sort.key === key ? (sort.dir > 0 ? " ▲" : " ▼") : ""
          }</button></th>`,
      )}</tr></thead>
      <tbody>${shown.map(
        (r) => html`<tr data-device=${r.name} data-verdict=${r.verdict}>
          <th scope="row"><a href=${`#/devices/${encodeURIComponent(r.name)}`}>${r.name}</a></th>
          <td>${r.site}</td><td>${r.tier}</td><td>${r.arch}</td>
          <td><span class=${`pill v-${r.verdict}`} title=${r.verdictReason}>${r.verdict}</span></td>
          <td class="num" data-col="powerW">${watts(r.powerW)}${r.powerW !== undefined && !r.powerMeasured ? html` <abbr title="modelled (idle power of the declared model)">m</abbr>` : ""}</td>
          <td class="num" data-col="soc">${r.soc === undefined ? "–" : pct(r.soc)}</td>
          <td class="num" data-col="solarExcessW">${r.solarExcessW === undefined ? "–" : watts(r.solarExcessW)}</td>
          <td class="num" data-col="cpuUtil">${r.cpuUtil === undefined ? "–" : pct(r.cpuUtil)}</td>
          <td class="num" data-col="memUtil">${r.memUtil === undefined ? "–" : pct(r.memUtil)}</td>
          <td data-workloads>${r.workloads.join(", ") || "–"}</td>
        </tr>`,
      )}</tbody>
    </table></div>
    <p class="muted">Power marked <abbr title="modelled">m</abbr> is modelled from the declared power model; the rest is measured. ${fmt(rows.length, 0)} devices.</p>
  </section>`;
}
