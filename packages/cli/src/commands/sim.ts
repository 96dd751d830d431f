import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { formatDiagnostic, ManifestError } from "@qonnect/core";
import {
  buildScenario,
  type MicrogridManifest,
  type MicrogridTotals,
  parseMicrogridManifest,
  registerMicrogridKind,
  ScenarioError,
  type SizingPoint,
  sizeMicrogrid,
  vessimCsvHeader,
  vessimCsvRow,
  vessimMetadata,
} from "@qonnect/energy";
import { CliError, EXIT, type Io } from "../io.js";
import { table } from "../table.js";
import type { Register } from "./index.js";

/** Reads and validates a Microgrid manifest; diagnostics go to stderr and fail the command. */
async function loadManifest(io: Io, file: string): Promise<{ manifest: MicrogridManifest; baseDir: string }> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CliError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      EXIT.usage,
    );
  }
  try {
    return { manifest: parseMicrogridManifest(text, file), baseDir: dirname(path) };
  } catch (err) {
    if (err instanceof ManifestError) {
      for (const d of err.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
      throw new CliError(`${file} is not a valid Microgrid manifest`, EXIT.failed);
    }
    throw err;
  }
}

/** A progress bar on stderr, only when stderr is a terminal and the run is long; `done` clears it. */
function progressBar(
  io: Io,
  label: string,
  total: number,
  long: boolean,
): { update(n: number): void; done(): void } {
  if (!io.errIsTty || !long) return { update() {}, done() {} };
  let shown = -1;
  return {
    update(n) {
      const pct = Math.floor((n / total) * 100);
      if (pct === shown) return;
      shown = pct;
      const filled = Math.round(pct / 4);
      io.err(`\r${label} [${"#".repeat(filled)}${"-".repeat(25 - filled)}] ${pct}%`);
    },
    done() {
      io.err(`\r${" ".repeat(label.length + 34)}\r`);
    },
  };
}

/** A manifest whose traces cannot be read or used is an input error (exit 2), as in `validate`. */
function scenarioError(file: string, err: unknown): never {
  if (err instanceof ScenarioError)
    throw new CliError(`${file}: ${err.message}; fix the manifest and run again`, EXIT.usage);
  throw err;
}

const round = (v: number, digits = 3) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);

/** The JSON form of the totals: the keys the issue names first, then the rest. */
function totalsJson(t: MicrogridTotals): Record<string, number | null> {
  return {
    steps: t.steps,
    gridImportWh: round(t.gridImportWh),
    gridExportWh: round(t.gridExportWh),
    curtailedWh: round(t.curtailedWh),
    finalSoc: round(t.finalSoc, 4),
    operationalEmissionsG: round(t.operationalEmissionsG),
    embodiedEmissionsG: round(t.embodiedEmissionsG),
    excessEnergyWh: round(t.excessEnergyWh),
    unservedWh: round(t.unservedWh),
    productionWh: round(t.productionWh),
    consumptionWh: round(t.consumptionWh),
    storageChargedWh: round(t.storageChargedWh),
    storageDischargedWh: round(t.storageDischargedWh),
    durationS: t.durationS,
  };
}

async function simMicrogrid(io: Io, opts: { file: string; json?: boolean; csv?: string }): Promise<void> {
  const { manifest, baseDir } = await loadManifest(io, opts.file);
  let sc: ReturnType<typeof buildScenario>;
  try {
    sc = buildScenario(manifest, { baseDir });
  } catch (err) {
    scenarioError(opts.file, err);
  }
  const bar = progressBar(io, `simulating ${sc.name}`, sc.steps, sc.steps >= 50_000);
  let fd: number | undefined;
  let chunk: string[] = [];
  if (opts.csv) {
    const dir = resolve(io.cwd, opts.csv);
    mkdirSync(dir, { recursive: true });
    fd = openSync(join(dir, "timeseries.csv"), "w");
    writeSync(fd, `${vessimCsvHeader(sc.microgrid)}\n`);
  }
  let totals: MicrogridTotals;
  try {
    totals = sc.microgrid.run(sc.startMs, sc.stepS, sc.steps, (record) => {
      if (fd !== undefined) {
        chunk.push(vessimCsvRow(sc.name, sc.microgrid, record));
        if (chunk.length >= 10_000) {
          writeSync(fd, `${chunk.join("\n")}\n`);
          chunk = [];
        }
      }
      const n = sc.microgrid.totals().steps;
      if ((n & 1023) === 0) bar.update(n);
    });
  } catch (err) {
    bar.done();
    throw new CliError(`simulation failed: ${(err as Error).message}`, EXIT.failed);
  } finally {
    if (fd !== undefined) {
      if (chunk.length) writeSync(fd, `${chunk.join("\n")}\n`);
      closeSync(fd);
    }
  }
  bar.done();
  if (opts.csv)
    writeFileSync(
      join(resolve(io.cwd, opts.csv), "metadata.yaml"),
      vessimMetadata({ name: sc.name, mg: sc.microgrid, startMs: sc.startMs, stepS: sc.stepS, totals }),
    );
  const start = new Date(sc.startMs).toISOString();
  if (opts.json) {
    io.out(
      `${JSON.stringify({ microgrid: sc.name, start, stepSeconds: sc.stepS, policy: sc.microgrid.policy.name, totals: totalsJson(totals) })}\n`,
    );
    return;
  }
  const kWh = (wh: number) => `${(wh / 1000).toFixed(3)} kWh`;
  const kg = (g: number) => `${(g / 1000).toFixed(3)} kg CO2e`;
  io.out(
    `Microgrid ${sc.name}: ${totals.steps} steps of ${sc.stepS} s from ${start} (policy ${sc.microgrid.policy.name})\n`,
  );
  io.out(
    table(
      ["TOTAL", "VALUE"],
      [
        ["production", kWh(totals.productionWh)],
        ["consumption", kWh(totals.consumptionWh)],
        ["grid import", kWh(totals.gridImportWh)],
        ["grid export", kWh(totals.gridExportWh)],
        ["curtailed", kWh(totals.curtailedWh)],
        ["unserved", kWh(totals.unservedWh)],
        ["excess renewable", kWh(totals.excessEnergyWh)],
        [
          "storage charged / discharged",
          `${kWh(totals.storageChargedWh)} / ${kWh(totals.storageDischargedWh)}`,
        ],
        [
          "final SoC",
          Number.isFinite(totals.finalSoc) ? `${(totals.finalSoc * 100).toFixed(1)} %` : "no storage",
        ],
        ["operational emissions", kg(totals.operationalEmissionsG)],
        ["embodied emissions", kg(totals.embodiedEmissionsG)],
      ],
    ).replace(/^(?=.)/gm, "  "),
  );
  if (totals.unservedWh > 0) io.err(`warning: ${kWh(totals.unservedWh)} of demand could not be served\n`);
  if (opts.csv) io.err(`wrote ${join(resolve(io.cwd, opts.csv), "timeseries.csv")} and metadata.yaml\n`);
}

async function simSize(io: Io, opts: { file: string; json?: boolean; all?: boolean }): Promise<void> {
  const { manifest, baseDir } = await loadManifest(io, opts.file);
  if (!manifest.spec.sizing)
    throw new CliError(
      `${opts.file}: add spec.sizing (solarKWp: [...], batteryKWh: [...]) to size the site`,
      EXIT.usage,
    );
  const total = manifest.spec.sizing.solarKWp.length * manifest.spec.sizing.batteryKWh.length;
  const bar = progressBar(io, `sizing ${manifest.metadata.name}`, total, true);
  let points: SizingPoint[];
  try {
    points = sizeMicrogrid(manifest, { baseDir }, (done) => bar.update(done));
  } catch (err) {
    bar.done();
    scenarioError(opts.file, err);
  }
  bar.done();
  const front = points.filter((p) => p.pareto).sort((a, b) => a.costPerYear - b.costPerYear);
  if (opts.json) {
    io.out(`${JSON.stringify({ microgrid: manifest.metadata.name, pareto: front, designs: points })}\n`);
    return;
  }
  const shown = opts.all ? points : front;
  io.out(
    `Microgrid ${manifest.metadata.name}: ${points.length} designs over ${manifest.spec.sizing.durationHours} h; ${
      opts.all
        ? "all designs (* on the Pareto front)"
        : "Pareto front of cost vs operational + embodied emissions"
    }\n`,
  );
  io.out(
    table(
      [
        "SOLAR kWp",
        "BATTERY kWh",
        "EUR/YEAR",
        "kg CO2e/YEAR",
        "OPERATIONAL",
        "EMBODIED",
        "IMPORT kWh",
        "UNSERVED kWh",
        "",
      ],
      shown.map((p) => [
        p.solarKWp,
        p.batteryKWh,
        Number(p.costPerYear.toFixed(1)),
        Number(p.emissionsKg.toFixed(1)),
        Number(p.operationalKg.toFixed(1)),
        Number(p.embodiedKg.toFixed(1)),
        Number(p.gridImportKWh.toFixed(1)),
        Number(p.unservedKWh.toFixed(2)),
        p.pareto ? "*" : "",
      ]),
    ).replace(/^(?=.)/gm, "  "),
  );
}

export const registerSim: Register = (program, io) => {
  // kind Microgrid comes from @qonnect/energy: teach core's validator so `validate` and `demo` read it too
  registerMicrogridKind();
  const sim = program.command("sim").description("simulate a microgrid (kind: Microgrid) or size one");
  sim
    .command("microgrid")
    .description("co-simulate a site's consumers, producers, storage and grid; print the totals")
    .requiredOption("-f, --file <file>", "Microgrid manifest (YAML)")
    .option("--json", "print one JSON object with the totals")
    .option("--csv <dir>", "write a Vessim-compatible metadata.yaml and timeseries.csv into <dir>")
    .action((opts: { file: string; json?: boolean; csv?: string }) => simMicrogrid(io, opts));
  sim
    .command("size")
    .description("what-if over solar kWp × battery kWh (spec.sizing): Pareto front of cost vs emissions")
    .requiredOption("-f, --file <file>", "Microgrid manifest with spec.sizing (YAML)")
    .option("--json", "print one JSON object with the front and every design")
    .option("--all", "list every design, not only the Pareto front")
    .action((opts: { file: string; json?: boolean; all?: boolean }) => simSize(io, opts));
};
