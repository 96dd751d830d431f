// A device: its facts, verdict and workloads, and live charts of power, battery and solar (the last hour
// from /api/v1/devices/{name}/series, then each change of the Device resource from the watch stream).
import { useEffect, useMemo, useState } from "preact/hooks";
import { getJson } from "./api.js";
import { Chart } from "./chart.js";
import { ago, clock, fmt, pct, watts } from "./format.js";
import { html } from "./html.js";
import { deviceRows } from "./model.js";

/** The three histories of a device's samples; samples recorded before the Knowledge Base kept the solar
 * excess (schema version 1) have none and add no solar point. */
function toPoints(samples) {
  const power = [];
  const soc = [];
  const solar = [];
  for (const s of samples) {
    const t = s.tsMs / 1000;
    power.push({ t, v: s.powerW });
    if (s.soc !== null && s.soc !== undefined) soc.push({ t, v: s.soc * 100 });
    if (s.solarExcessW !== null && s.solarExcessW !== undefined) solar.push({ t, v: s.solarExcessW });
  }
  return { power, soc, solar };
}

export function DevicePage({ live, name }) {
  const [history, setHistory] = useState(undefined);
  const [error, setError] = useState("");
  useEffect(() => {
    setHistory(undefined);
    getJson(`/api/v1/devices/${encodeURIComponent(name)}/series?from=${Date.now() - 3_600_000}`).then(
      (r) => setHistory(toPoints(r.samples)),
      (err) => {
        setError(err.message);
        setHistory(toPoints([]));
      },
    );
  }, [name]);
  // live points from the watch stream, fanned out to the three charts
  const feeds = useMemo(() => {
    const sinks = { power: new Set(), soc: new Set(), solar: new Set() };
    const off = live.onDevice((d) => {
      if (d.metadata.name !== name) return;
      const s = d.status ?? {};
      const tsMs = s.lastSeenMs ?? Date.now();
      const t = tsMs / 1000;
      for (const f of sinks.power) f(t, s.powerW);
      const soc = s.soc ?? s.battery?.soc;
      if (soc !== undefined) for (const f of sinks.soc) f(t, soc * 100);
      if (s.solarExcessW !== undefined) for (const f of sinks.solar) f(t, s.solarExcessW);
    });
    const sub = (k) => (fn) => {
      sinks[k].add(fn);
      return () => sinks[k].delete(fn);
    };
    return { off, power: sub("power"), soc: sub("soc"), solar: sub("solar") };
  }, [name]);
  useEffect(() => () => feeds.off(), [feeds]);

  const row = deviceRows(live).find((r) => r.name === name);
  if (!row)
    return html`<section><h1>Device ${name}</h1><p>No device of that name. <a href="#/devices">All devices</a></p></section>`;
  const events = live.events
    .filter((e) => e.object === `devices/${name}` || e.message?.includes(name))
    .slice(0, 20);
  return html`<section aria-labelledby="h-device" data-device-page=${name}>
    <p><a href="#/devices">← Devices</a></p>
    <h1 id="h-device">${name} <span class=${`pill v-${row.verdict}`} data-verdict=${row.verdict}>${row.verdict}</span></h1>
    ${row.verdictReason ? html`<p class="muted">${row.verdictReason}</p>` : ""}
    <dl class="facts">
      <div><dt>region / site</dt><dd>${row.region} / ${row.site}</dd></div>
      <div><dt>tier · arch</dt><dd>${row.tier} · ${row.arch}</dd></div>
      <div><dt>power</dt><dd>${watts(row.powerW)}${row.powerMeasured ? "" : " (modelled)"}</dd></div>
      <div><dt>battery</dt><dd>${row.soc === undefined ? "none" : pct(row.soc)}${row.minSoc !== undefined ? ` (floor ${pct(row.minSoc)})` : ""}</dd></div>
      <div><dt>solar excess</dt><dd>${row.solarExcessW === undefined ? "–" : watts(row.solarExcessW)}</dd></div>
      <div><dt>CPU · memory</dt><dd>${pct(row.cpuUtil)} · ${pct(row.memUtil)}</dd></div>
      <div><dt>energy · carbon</dt><dd>${fmt(row.energyWh, 2)} Wh · ${fmt(row.carbonG, 2)} g</dd></div>
      <div><dt>last seen</dt><dd>${ago(row.lastSeenMs)}</dd></div>
      <div><dt>workloads</dt><dd data-workloads>${row.workloads.join(", ") || "none"}</dd></div>
    </dl>
    ${error ? html`<p class="error" role="alert">History: ${error}</p>` : ""}
    ${
      history
        ? html`<div class="charts">
          <${Chart} id="power" title="power" unit="W" color="#0550ae" points=${history.power} subscribe=${feeds.power} />
          ${
            row.hasBattery || history.soc.length
              ? html`<${Chart} id="soc" title="battery state of charge" unit="%" color="#1a7f37" points=${history.soc} subscribe=${feeds.soc} />`
              : html`<figure class="chart" data-chart="soc"><figcaption>battery state of charge</figcaption><p class="muted">No battery reported or declared.</p></figure>`
          }
          <${Chart} id="solar" title="solar excess" unit="W" color="#9a6700" points=${history.solar} subscribe=${feeds.solar} />
        </div>
        <p class="muted">The last hour from the Knowledge Base's samples, then each report of the device's region as it arrives. Solar excess is the solar power beyond what the device draws, as its region reports it.</p>`
        : html`<p>Loading the last hour…</p>`
    }
    <h2>Events</h2>
    ${
      events.length
        ? html`<ul class="events">${events.map((e) => html`<li class=${e.type === "Warning" ? "warning" : ""}>${clock(e.timeMs)} ${e.reason}: ${e.message}</li>`)}</ul>`
        : html`<p class="muted">None recorded.</p>`
    }
  </section>`;
}
