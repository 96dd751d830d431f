// One uPlot time series that fills its container's width and takes live points.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { html } from "./html.js";

const WINDOW_S = 3600;

/** `points`: {t (s), v}[] for the history; `onLive(push)` registers a function that appends a point. */
export function Chart({ title, unit, points, color, subscribe, id }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const data = [points.map((p) => p.t), points.map((p) => p.v)];
    const u = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 200,
        scales: { x: { time: true } },
        legend: { show: true },
        axes: [{ stroke: "#24292f" }, { stroke: "#24292f", label: unit, size: 60 }],
        series: [{}, { label: title, stroke: color, width: 2, fill: `${color}22`, spanGaps: false }],
      },
      data,
      el,
    );
    const push = (t, v) => {
      if (!Number.isFinite(t) || v === undefined || v === null || !Number.isFinite(v)) return;
      if (data[0].length && t <= data[0][data[0].length - 1]) return;
      data[0].push(t);
      data[1].push(v);
      while (data[0].length && data[0][0] < t - WINDOW_S) {
        data[0].shift();
        data[1].shift();
      }
      el.dataset.points = String(data[0].length);
      u.setData(data);
    };
    el.dataset.points = String(data[0].length);
    const unsubscribe = subscribe(push);
    const onResize = () => u.setSize({ width: Math.max(280, el.clientWidth), height: 200 });
    window.addEventListener("resize", onResize);
    return () => {
      unsubscribe();
      window.removeEventListener("resize", onResize);
      u.destroy();
    };
  }, [points]);
  return html`<figure class="chart" data-chart=${id}>
    <figcaption>${title} (${unit})</figcaption>
    <div ref=${box} class="chart-box" role="img" aria-label=${`${title}, last hour, live`}></div>
  </figure>`;
}
