import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { formatDiagnostic, ManifestError, validateText } from "@qonnect/core";
import { describe, expect, it } from "vitest";
import { parseMicrogridManifest, registerMicrogridKind } from "./microgrid-manifest.js";
import { buildScenario, ScenarioError } from "./scenario.js";
import { sizeMicrogrid } from "./sizing.js";
import { vessimCsvHeader, vessimCsvRow, vessimMetadata } from "./vessim-export.js";

const examples = resolve(import.meta.dirname, "../../../examples");
const dataDir = resolve(import.meta.dirname, "../data");

const MANIFEST = (spec: string) => `apiVersion: qonnect.io/v1alpha1
kind: Microgrid
metadata: { name: test-site }
spec:
${spec}`;

const SMALL = MANIFEST(`  stepSeconds: 60
  durationHours: 4
  actors:
    - { name: pv, consumer: false, kind: solar, peakW: 15, constantW: 15 }
    - { name: pi, consumer: true, constantW: 5 }
  storage: { model: ideal, capacityWh: 100, initialSoc: 0.8 }
  grid: { intensityGPerKWh: 300 }
`);

function diagnostics(text: string): string[] {
  try {
    parseMicrogridManifest(text, "m.yaml");
    return [];
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    return err.diagnostics.map(formatDiagnostic);
  }
}

describe("Microgrid manifest", () => {
  it("accepts every microgrid example and builds it", () => {
    const files = readdirSync(examples).filter((f) => f.startsWith("microgrid-") && f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const m = parseMicrogridManifest(readFileSync(join(examples, f), "utf8"), f);
      const sc = buildScenario(m, { baseDir: examples });
      expect(sc.steps, f).toBe((m.spec.durationHours * 3600) / m.spec.stepSeconds);
    }
  });

  it("runs the hand-derived scenario: 100 Wh at 0.8 with +10 W for 4 h ends full, exports 20 Wh", () => {
    const sc = buildScenario(parseMicrogridManifest(SMALL), { baseDir: "." });
    const t = sc.microgrid.run(sc.startMs, sc.stepS, sc.steps);
    expect(t.steps).toBe(240);
    expect(t.finalSoc).toBeCloseTo(1, 9);
    expect(t.gridExportWh).toBeCloseTo(20, 9);
    expect(sc.startMs).toBe(Date.parse("2022-06-01T00:00:00Z"));
  });

  it("reports schema and cross-field errors at their positions", () => {
    const text = MANIFEST(`  stepSeconds: 60
  durationHours: 1
  actors:
    - { name: a, consumer: true, constantW: 5 }
    - { name: a, consumer: true }
  storage: { model: lithium, capacityWh: 10 }
  grid: { intensityGPerKWh: 300, islnded: true }
`);
    expect(diagnostics(text)).toEqual([
      'm.yaml:10:21: model: "lithium" is not one of "ideal", "clc", "kibam"',
      'm.yaml:11:34: unknown field "islnded" (did you mean "islanded"?); allowed here: intensityGPerKWh, importLimitW, exportLimitW, islanded',
    ]);
    const refs = MANIFEST(`  stepSeconds: 60
  durationHours: 1
  actors:
    - { name: a, consumer: true, constantW: 5 }
    - { name: a, consumer: true }
  grid: { intensityGPerKWh: 300 }
  policy: { name: carbon-threshold }
`);
    expect(diagnostics(refs)).toEqual([
      'm.yaml:9:7: actor "a": give exactly one of constantW or trace',
      'm.yaml:9:15: duplicate actor name "a"',
      'm.yaml:11:11: policy "carbon-threshold" needs thresholdGPerKWh',
      'm.yaml:11:19: policy "carbon-threshold" needs spec.storage',
    ]);
    expect(diagnostics("kind: Inventory\n")[0]).toMatch(
      /^m\.yaml:1:1: missing required field "apiVersion"|m\.yaml/,
    );
  });

  it("builds each storage model with its parameters", () => {
    const build = (storage: string) =>
      buildScenario(
        parseMicrogridManifest(
          MANIFEST(`  stepSeconds: 60
  durationHours: 1
  actors: [{ name: pi, consumer: true, constantW: 5 }]
  storage: ${storage}
  grid: { intensityGPerKWh: 300, islanded: true }
`),
        ),
        { baseDir: "." },
      ).microgrid;
    const kibam = build(
      "{ model: kibam, capacityWh: 100, initialSoc: 1, availableFraction: 0.5, rateConstantPerH: 0.5 }",
    );
    expect(kibam.storage?.constructor.name).toBe("KineticBattery");
    expect(kibam.step(0, 3600).storageW).toBeCloseTo(-5, 9);
    const clc = build("{ model: clc, capacityWh: 38.28, initialSoc: 0.5, cell: { etaD: 1.1 } }");
    expect(clc.storage?.constructor.name).toBe("ClcBattery");
    expect(clc.storage?.state().capacityWh).toBeCloseTo(38.28, 9);
    clc.step(0, 3600);
    expect(clc.storage?.state().energyWh).toBeCloseTo(19.14 - 5 * 1.1, 9); // two cells, ηd = 1.1
    const ideal = build("{ model: ideal, capacityWh: 100, initialSoc: 0.5, cRate: 0.01 }");
    expect(ideal.step(0, 3600)).toMatchObject({ storageW: -1, unservedW: 4 });
  });

  it("registers the kind with core's validator", () => {
    registerMicrogridKind();
    const r = validateText(SMALL, "s.yaml");
    expect(r.ok).toBe(true);
    expect(r.extensions[0]?.manifest.kind).toBe("Microgrid");
  });

  it("names a missing trace file and refuses a marginal intensity trace", () => {
    const missing = parseMicrogridManifest(
      MANIFEST(`  stepSeconds: 60
  durationHours: 1
  actors:
    - { name: pv, consumer: false, trace: { file: nope.csv, column: x } }
  grid: { intensityGPerKWh: 1 }
`),
    );
    expect(() => buildScenario(missing, { baseDir: dataDir })).toThrow(
      `spec.actors[0].trace.file: cannot read ${join(dataDir, "nope.csv")} ("nope.csv" is relative to the manifest's folder): ENOENT`,
    );
    const marginal = parseMicrogridManifest(
      MANIFEST(`  start: "2023-06-08T00:00:00Z"
  stepSeconds: 60
  durationHours: 1
  actors: [{ name: pi, consumer: true, constantW: 5 }]
  grid: { intensityGPerKWh: { file: watttime/caiso_north_2023-06-08_moer.json } }
`),
    );
    expect(() => buildScenario(marginal, { baseDir: dataDir })).toThrow(ScenarioError);
    expect(() => buildScenario(marginal, { baseDir: dataDir })).toThrow(/marginal/);
  });

  it("reads Vessim traces relative to the start and Electricity Maps traces by their timestamps", () => {
    const m = parseMicrogridManifest(
      MANIFEST(`  start: "2022-06-01T00:00:00Z"
  stepSeconds: 3600
  durationHours: 24
  actors:
    - { name: pv, consumer: false, kind: solar, trace: { file: vessim/solar_example.csv, column: Berlin, scaleW: 1000 } }
  grid: { intensityGPerKWh: { file: electricitymaps/DE_2022_hourly.csv } }
`),
    );
    const sc = buildScenario(m, { baseDir: dataDir });
    const records: { productionW: number; intensityGPerKWh: number }[] = [];
    sc.microgrid.run(sc.startMs, sc.stepS, sc.steps, (r) => records.push(r));
    expect(Math.max(...records.map((r) => r.productionW))).toBeGreaterThan(500);
    expect(records[0]!.productionW).toBe(0); // midnight
    expect(records[0]!.intensityGPerKWh).toBeGreaterThan(50);
    expect(sc.microgrid.equipment.solarKWp).toBe(1);
  });
});

describe("sizing and Vessim export", () => {
  it("marks the Pareto front of cost against emissions", () => {
    const m = parseMicrogridManifest(
      MANIFEST(`  stepSeconds: 3600
  durationHours: 24
  actors:
    - { name: pv, consumer: false, kind: solar, trace: { file: vessim/solar_example.csv, column: Berlin, scaleW: 100 } }
    - { name: pi, consumer: true, constantW: 10 }
  storage: { model: ideal, capacityWh: 50, initialSoc: 0.5 }
  grid: { intensityGPerKWh: 400 }
  sizing: { solarKWp: [0, 0.1, 0.5], batteryKWh: [0, 0.2], durationHours: 48, stepSeconds: 3600 }
`),
    );
    const calls: number[] = [];
    const points = sizeMicrogrid(m, { baseDir: dataDir }, (done) => calls.push(done));
    expect(calls).toEqual([1, 2, 3, 4, 5, 6]);
    expect(points).toHaveLength(6);
    const none = points.find((p) => p.solarKWp === 0 && p.batteryKWh === 0)!;
    expect(none.gridImportKWh).toBeCloseTo(10 * 8760 * 1e-3, 6); // 10 W all year
    expect(none.embodiedKg).toBe(0);
    for (const p of points.filter((x) => x.pareto))
      for (const q of points)
        expect(q.costPerYear < p.costPerYear && q.emissionsKg < p.emissionsKg).toBe(false);
    expect(points.some((p) => p.pareto)).toBe(true);
  });

  it("writes Vessim Monitor-style columns and a metadata.yaml", () => {
    const sc = buildScenario(parseMicrogridManifest(SMALL), { baseDir: "." });
    expect(vessimCsvHeader(sc.microgrid)).toBe(
      "microgrid,time,p_delta,p_grid,actor_states.pv.p,actor_states.pi.p,storage_state.soc,storage_state.charge_level," +
        "grid_signals.intensity_g_per_kwh,grid_import_w,grid_export_w,curtailed_w,unserved_w,emissions_g,excess_w",
    );
    const record = sc.microgrid.step(sc.startMs, 3600);
    expect(vessimCsvRow("test-site", sc.microgrid, record)).toBe(
      "test-site,2022-06-01 00:00:00,10,0,15,-5,0.9,90,300,0,0,0,0,0,10",
    );
    const meta = vessimMetadata({
      name: "test-site",
      mg: sc.microgrid,
      startMs: sc.startMs,
      stepS: 3600,
      totals: sc.microgrid.totals(),
    });
    expect(meta).toMatch(/^generator: qonnect sim microgrid$/m);
    expect(meta).toMatch(/step_size: 3600/);
    expect(meta).toMatch(/model: IdealBattery/);
  });
});
