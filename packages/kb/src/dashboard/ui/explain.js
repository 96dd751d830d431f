// The explanation of one application's placement, as the planner recorded it: per replica the chosen
// device, the runner-up and how much worse it is, each objective's share; per service the rejected devices
// and why. The same numbers `qonnect describe` prints (objective delta to 4 decimals).
import { fmt } from "./format.js";
import { html } from "./html.js";

const OBJECTIVES = ["energy", "carbon", "cost", "performance", "latency", "battery"];

export function Shares({ contributions }) {
  const total = OBJECTIVES.reduce((s, k) => s + Math.max(0, contributions?.[k] ?? 0), 0);
  if (!total) return html`<span class="muted">–</span>`;
  return html`<span class="shares">${OBJECTIVES.filter((k) => (contributions?.[k] ?? 0) > 0).map(
    (k) =>
      html`<span class=${`share s-${k}`} title=${`${k}: ${fmt(contributions[k], 4)}`}>${k} ${Math.round((100 * contributions[k]) / total)}%</span>`,
  )}</span>`;
}

export function PlacementTable({ spec, caption }) {
  const why = new Map((spec.explanation?.replicas ?? []).map((x) => [`${x.service}/${x.replica}`, x]));
  return html`<div class="table-wrap"><table class="placements">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">service</th><th scope="col">replica</th><th scope="col">device</th>
      <th scope="col">region</th><th scope="col">runner-up</th><th scope="col">+objective</th>
      <th scope="col">objective shares</th></tr></thead>
    <tbody>${(spec.placements ?? []).map((e) => {
      const x = why.get(`${e.service}/${e.replica}`);
      return html`<tr data-replica=${`${e.service}/${e.replica}`} data-device=${e.device}>
        <td>${e.service}</td><td class="num">${e.replica}</td>
        <td><a href=${`#/devices/${encodeURIComponent(e.device)}`}>${e.device}</a></td><td>${e.region ?? ""}</td>
        <td data-runner-up>${x?.runnerUp?.device ?? "-"}</td>
        <td class="num" data-delta>${x?.runnerUp ? String(Number(x.runnerUp.objectiveDelta.toFixed(4))) : "-"}</td>
        <td><${Shares} contributions=${x?.contributions} /></td>
      </tr>`;
    })}</tbody>
  </table></div>`;
}

export function Rejections({ explanation }) {
  const services = explanation?.services ?? [];
  if (!services.length) return "";
  const reasons = (s) => {
    const named = Object.entries(s.rejectedDevices ?? {});
    if (named.length) return named.map(([d, r]) => html`<li><strong>${d}</strong>: ${r}</li>`);
    return Object.entries(s.rejected ?? {}).map(
      ([r, n]) => html`<li>${n} device${n === 1 ? "" : "s"}: <strong>${r}</strong></li>`,
    );
  };
  return html`<details class="rejections"><summary>Why other devices were rejected</summary>
    ${services.map((s) => {
      const items = reasons(s);
      return html`<div data-service=${s.service}><h4>${s.service}: ${s.candidates} candidate${s.candidates === 1 ? "" : "s"} left</h4>
        ${items.length ? html`<ul>${items}</ul>` : html`<p class="muted">none rejected</p>`}</div>`;
    })}
  </details>`;
}

export const Totals = ({ totals }) =>
  html`<p class="totals" data-totals>energy ${fmt(totals?.energyW, 2)} W · carbon ${fmt(totals?.carbonGPerH, 2)} g/h · cost €${fmt(totals?.costPerHour, 4)}/h · latency ${fmt(totals?.latencyMs, 1)} ms</p>`;
