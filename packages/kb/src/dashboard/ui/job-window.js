// The window a Job will run in, against the forecast it was chosen from: the run's carbon for every start
// the planner considered (from the Job's status.startOptions), the chosen start marked. Answers "when will
// this job run, and how much cleaner is that than running it now".
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { fmt, when } from "./format.js";
import { html } from "./html.js";

function WindowChart({ name, options, startMs }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !options.length) return undefined;
    const xs = options.map((o) => o.startMs / 1000);
    const carbon = options.map((o) => (o.feasible ? o.carbonG : null));
    const chosen = options.map((o) => (o.startMs === startMs ? o.carbonG : null));
    const u = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 180,
        scales: { x: { time: true } },
        axes: [{ stroke: "#24292f" }, { stroke: "#24292f", label: "g CO₂e", size: 60 }],
        series: [
          {},
          { label: "run's carbon if started then", stroke: "#0550ae", width: 2, spanGaps: false },
          {
            label: "chosen start",
            stroke: "#1a7f37",
            width: 0,
            points: { show: true, size: 12, fill: "#1a7f37" },
          },
        ],
      },
      [xs, carbon, chosen],
      el,
    );
    el.dataset.points = String(xs.length);
    const onResize = () => u.setSize({ width: Math.max(280, el.clientWidth), height: 180 });
    window.addEventListener("resize", onResize);
    return () => {
      window.removeEventListener("resize", onResize);
      u.destroy();
    };
  }, [options, startMs]);
  return html`<figure class="chart" data-chart=${`job-${name}`}>
    <figcaption>${name}: the run's carbon by start time (forecast)</figcaption>
    <div ref=${box} class="chart-box" role="img"
      aria-label=${`${name}: carbon of the run for each start considered; chosen start ${when(startMs)}`}></div>
  </figure>`;
}

/** One row per Job: the chosen window, the carbon then and now, and (when known) the forecast it came from. */
export function JobWindows({ jobs }) {
  if (!jobs.length) return html`<p class="muted">No jobs.</p>`;
  const rows = jobs.map((j) => {
    const s = j.status ?? {};
    const options = Array.isArray(s.startOptions) ? s.startOptions : [];
    return { name: j.metadata.name, s, options };
  });
  return html`<div class="table-wrap"><table class="jobs">
      <thead><tr><th scope="col">job</th><th scope="col">phase</th><th scope="col">may start</th>
        <th scope="col">runs</th><th scope="col">carbon then</th><th scope="col">if started now</th>
        <th scope="col">saved</th></tr></thead>
      <tbody>${rows.map(
        ({ name, s, options }) => html`<tr data-job=${name}>
          <th scope="row">${name}</th>
          <td>${s.phase ?? "–"}</td>
          <td>${options.length ? `${when(options[0].startMs)} – ${when(options[options.length - 1].startMs)}` : "–"}</td>
          <td data-window data-start-ms=${s.startMs} data-end-ms=${s.endMs}>${
            s.startMs ? `${when(s.startMs)} – ${when(s.endMs)}` : "not planned yet"
          }</td>
          <td class="num">${fmt(s.carbonG, 1)} g</td>
          <td class="num">${fmt(s.nowCarbonG, 1)} g</td>
          <td class="num" data-saved>${fmt(s.carbonSavedG, 1)} g</td>
        </tr>`,
      )}</tbody>
    </table></div>
    <div class="charts">${rows
      .filter((r) => r.options.length > 1)
      .map(
        (r) => html`<${WindowChart} name=${r.name} options=${r.options} startMs=${r.s.startMs} />`,
      )}</div>`;
}
