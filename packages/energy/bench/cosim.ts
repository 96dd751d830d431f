// `pnpm bench cosim [--json]`: one simulated year at 60 s steps (525,600 steps) of a 10-device site with
// solar and a C-L-C battery, on the shipped traces. Target: under 2 s on one core.
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import {
  Actor,
  ClcBattery,
  cellsFor,
  Grid,
  loadElectricityMapsCsv,
  loadVessimCsv,
  Microgrid,
  StaticSignal,
} from "../src/index.js";

const json = process.argv.includes("--json");
const data = (p: string) => readFileSync(new URL(`../data/${p}`, import.meta.url), "utf8");

const STEP_S = 60;
const STEPS = 525_600;
const START_MS = Date.parse("2022-01-01T00:00:00Z");

function buildSite(): Microgrid {
  const loadCsv = data("vessim/load_example.csv");
  const actors: Actor[] = [];
  // eight devices following Vessim's normalised load traces (repeated), 15–50 W each, two constant ones
  ["trace_a", "trace_b", "trace_c", "trace_d", "trace_e", "trace_f", "trace_g", "trace_h"].forEach(
    (col, i) => {
      const signal = loadVessimCsv(loadCsv, col, { anchorMs: START_MS, scale: 15 + 5 * i, wrap: true });
      actors.push(new Actor({ name: `device-${i}`, signal, consumer: true }));
    },
  );
  actors.push(new Actor({ name: "device-8", signal: new StaticSignal(12), consumer: true }));
  actors.push(new Actor({ name: "device-9", signal: new StaticSignal(25), consumer: true }));
  const solar = loadVessimCsv(data("vessim/solar_example.csv"), "Berlin", {
    anchorMs: START_MS,
    scale: 600,
    wrap: true,
  });
  actors.push(new Actor({ name: "solar", signal: solar, consumer: false, kind: "solar", peakW: 600 }));
  const intensity = loadElectricityMapsCsv(data("electricitymaps/DE_2022_hourly.csv")).signal;
  return new Microgrid({
    actors,
    storage: new ClcBattery({ cells: cellsFor(2000), initialSoc: 0.5 }),
    grid: new Grid({ intensity }),
  });
}

const setupStart = performance.now();
const site = buildSite();
const setupMs = performance.now() - setupStart;
const t0 = performance.now();
const totals = site.run(START_MS, STEP_S, STEPS);
const elapsedS = (performance.now() - t0) / 1000;
const stepsPerS = STEPS / elapsedS;

const metrics = {
  steps: STEPS,
  stepS: STEP_S,
  devices: 10,
  elapsedS: Number(elapsedS.toFixed(3)),
  stepsPerS: Math.round(stepsPerS),
  setupMs: Number(setupMs.toFixed(1)),
  targetS: 2,
  withinTarget: elapsedS < 2,
  gridImportKWh: Number((totals.gridImportWh / 1000).toFixed(2)),
  operationalEmissionsKg: Number((totals.operationalEmissionsG / 1000).toFixed(2)),
  finalSoc: Number(totals.finalSoc.toFixed(4)),
};
const env = {
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
};

const rows: [string, string][] = [
  [
    "simulated",
    `1 year, ${STEPS.toLocaleString("en")} steps of ${STEP_S} s, 10 devices + solar + C-L-C 2 kWh`,
  ],
  ["time", `${elapsedS.toFixed(3)} s (target < 2 s: ${metrics.withinTarget ? "met" : "MISSED"})`],
  ["steps/s", Math.round(stepsPerS).toLocaleString("en")],
  ["setup (load traces)", `${setupMs.toFixed(1)} ms`],
  ["grid import", `${metrics.gridImportKWh} kWh, ${metrics.operationalEmissionsKg} kg CO2e`],
  ["node / cpu", `${env.node} / ${env.cpu}`],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log("cosim benchmark");
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
if (json) console.log(JSON.stringify({ bench: "cosim", metrics, env }));
