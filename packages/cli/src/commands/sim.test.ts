import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const root = resolve(import.meta.dirname, "../../../..");
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

const TOTAL_KEYS = [
  "steps",
  "gridImportWh",
  "gridExportWh",
  "curtailedWh",
  "finalSoc",
  "operationalEmissionsG",
  "embodiedEmissionsG",
  "excessEnergyWh",
];

describe("qonnect sim", () => {
  it("sim microgrid --json prints one object with the totals for the Pi cluster example", async () => {
    const io = bufferIo(root);
    const code = await run(
      ["sim", "microgrid", "-f", "examples/microgrid-pi-cluster-solar.yaml", "--json"],
      io,
    );
    expect(io.stderr).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(io.stdout) as { microgrid: string; totals: Record<string, number> };
    expect(out.microgrid).toBe("pi-cluster-solar");
    for (const key of TOTAL_KEYS) expect(typeof out.totals[key], key).toBe("number");
    expect(out.totals.steps).toBe(7 * 24 * 60);
    expect(out.totals.operationalEmissionsG).toBeGreaterThan(0);
    expect(out.totals.embodiedEmissionsG).toBeGreaterThan(0);
    expect(out.totals.finalSoc).toBeGreaterThanOrEqual(0.1);
  });

  it("sim microgrid prints a table and writes Vessim-compatible CSV for the fog site", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const io = bufferIo(root);
    const code = await run(
      ["sim", "microgrid", "-f", "examples/microgrid-fog-site-grid.yaml", "--csv", join(dir.path, "out")],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/Microgrid fog-site-grid: 8640 steps of 300 s/);
    expect(io.stdout).toMatch(/operational emissions\s+\d+\.\d{3} kg CO2e/);
    const csv = readFileSync(join(dir.path, "out", "timeseries.csv"), "utf8")
      .trimEnd()
      .split("\n");
    expect(csv).toHaveLength(8641);
    expect(csv[0]).toMatch(/^microgrid,time,p_delta,p_grid,actor_states\.server-1\.p,/);
    expect(csv[1]).toMatch(/^fog-site-grid,2022-06-01 00:00:00,/);
    expect(existsSync(join(dir.path, "out", "metadata.yaml"))).toBe(true);
  });

  it("reports manifest errors with positions and exits 1", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir.path, "bad.yaml");
    writeFileSync(
      file,
      "apiVersion: qonnect.io/v1alpha1\nkind: Microgrid\nmetadata: { name: bad }\nspec:\n  stepSeconds: 60\n  durationHours: 1\n  actors: []\n  grid: { intensityGPerKWh: -3 }\n",
    );
    const io = bufferIo(root);
    expect(await run(["sim", "microgrid", "-f", file], io)).toBe(1);
    expect(io.stderr).toMatch(/bad\.yaml:7:11: /);
    expect(io.stderr).toMatch(/bad\.yaml:8:29: /);
    expect(io.stderr).toMatch(/error: .*not a valid Microgrid manifest/);
    const missing = bufferIo(root);
    expect(await run(["sim", "microgrid", "-f", "nope.yaml"], missing)).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${join(root, "nope.yaml")}: ENOENT`);
  });

  it("a missing trace is an input error (exit 2) naming the resolved path", async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(
      join(dir.path, "site.yaml"),
      "apiVersion: qonnect.io/v1alpha1\nkind: Microgrid\nmetadata: { name: site }\nspec:\n  stepSeconds: 60\n  durationHours: 1\n" +
        "  actors:\n    - { name: pi, consumer: true, constantW: 6 }\n" +
        "    - { name: sun, consumer: false, kind: solar, trace: { file: ../data/solar.csv, column: Berlin, scaleW: 150 } }\n" +
        "  grid: { intensityGPerKWh: 300 }\n",
    );
    const io = bufferIo(dir.path);
    expect(await run(["sim", "microgrid", "-f", "site.yaml", "--json"], io)).toBe(2);
    expect(io.stdout).toBe("");
    expect(io.stderr).toContain(
      `site.yaml: spec.actors[1].trace.file: cannot read ${resolve(dir.path, "../data/solar.csv")} ("../data/solar.csv" is relative to the manifest's folder): ENOENT`,
    );
  });

  it("sim size prints the Pareto front", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir.path, "size.yaml");
    const data = resolve(root, "packages/energy/data");
    writeFileSync(
      file,
      `apiVersion: qonnect.io/v1alpha1
kind: Microgrid
metadata: { name: tiny }
spec:
  stepSeconds: 3600
  durationHours: 24
  actors:
    - { name: pv, consumer: false, kind: solar, trace: { file: ${data}/vessim/solar_example.csv, column: Berlin, scaleW: 100 } }
    - { name: pi, consumer: true, constantW: 10 }
  storage: { model: ideal, capacityWh: 50 }
  grid: { intensityGPerKWh: 400 }
  sizing: { solarKWp: [0, 0.2], batteryKWh: [0, 0.1], durationHours: 72, stepSeconds: 3600 }
`,
    );
    const io = bufferIo(root);
    expect(await run(["sim", "size", "-f", file], io)).toBe(0);
    expect(io.stdout).toMatch(/tiny: 4 designs over 72 h; Pareto front/);
    expect(io.stdout).toMatch(/SOLAR kWp\s+BATTERY kWh\s+EUR\/YEAR/);
    const json = bufferIo(root);
    expect(await run(["sim", "size", "-f", file, "--json"], json)).toBe(0);
    const out = JSON.parse(json.stdout) as { pareto: unknown[]; designs: unknown[] };
    expect(out.designs).toHaveLength(4);
    expect(out.pareto.length).toBeGreaterThan(0);
    const noSizing = bufferIo(root);
    expect(await run(["sim", "size", "-f", "examples/microgrid-fog-site-grid.yaml"], noSizing)).toBe(2);
    expect(noSizing.stderr).toMatch(/add spec\.sizing/);
  });

  it("lets validate read Microgrid manifests", async () => {
    const io = bufferIo(root);
    expect(await run(["validate", "-f", "examples/microgrid-fog-site-grid.yaml"], io)).toBe(0);
    expect(io.stdout).toMatch(/ok \(Microgrid\/fog-site-grid\)/);
  });
});
