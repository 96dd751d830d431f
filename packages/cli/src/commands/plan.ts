import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type Application,
  formatDiagnostic,
  type Inventory,
  loadManifests,
  ManifestError,
  ManifestFileError,
  toApplication,
  toInventory,
} from "@qonnect/core";
import {
  type BoundTotals,
  type CarbonForecast,
  exportMps,
  forecastFromSeries,
  type JobPlan,
  type PlacementEntry,
  type Plan,
  plan,
  planJob,
  REASONS,
  type Strategy,
  type Totals,
  withPlacements,
} from "@qonnect/planner";
import { CliError, EXIT, type Io } from "../io.js";
import { type ConnectionFlags, connectionOptions } from "../kb-connection.js";
import { table } from "../table.js";
import type { Register } from "./index.js";
import { planOnServer } from "./plan-server.js";

const STRATEGIES: Strategy[] = ["auto", "heuristic", "exact", "borda"];

export interface PlanFilesOptions {
  files: string[];
  inventory: string;
  current?: string;
  strategy?: Strategy;
  explain?: boolean;
  seed?: number;
  /** Per-zone intensity forecast (JSON) for time-shifting Jobs. */
  forecast?: string;
}

/** Loads the manifests, reporting every validation error as file:line:col, and plans each application in
 * turn (each one sees the capacity the previous ones took). */
export async function planFiles(
  io: Io,
  opts: PlanFilesOptions,
): Promise<
  { inventory: Inventory; apps: Application[]; plans: Plan[]; jobs: (JobPlan | undefined)[] } | undefined
> {
  let docs: Awaited<ReturnType<typeof loadManifests>>;
  try {
    docs = await loadManifests(...[...opts.files, opts.inventory].map((f) => resolve(io.cwd, f)));
  } catch (err) {
    if (err instanceof ManifestError) {
      for (const d of err.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
      io.err("fix the errors above and plan again\n");
      return undefined;
    }
    if (err instanceof ManifestFileError)
      throw new CliError(
        `cannot read ${err.file}: ${(err.cause as NodeJS.ErrnoException).code ?? err.message}`,
        EXIT.usage,
      );
    throw err;
  }
  const inventories = docs.filter((d) => d.manifest.kind === "Inventory");
  if (inventories.length !== 1)
    throw new CliError(
      `expected exactly one Inventory in ${opts.inventory} and the -f files, found ${inventories.length}`,
      EXIT.usage,
    );
  let inventory = toInventory(inventories[0]!.manifest as Parameters<typeof toInventory>[0]);
  const apps = docs
    .filter((d) => d.manifest.kind === "Application" || d.manifest.kind === "Job")
    .map((d) => toApplication(d.manifest as Parameters<typeof toApplication>[0]));
  if (apps.length === 0)
    throw new CliError("no Application or Job in the -f files: nothing to plan", EXIT.usage);
  const current = opts.current ? await readCurrent(resolve(io.cwd, opts.current)) : undefined;
  const forecast = opts.forecast ? await readForecast(resolve(io.cwd, opts.forecast), inventory) : undefined;
  const plans: Plan[] = [];
  const jobs: (JobPlan | undefined)[] = [];
  const base = inventory;
  for (const app of apps) {
    if (forecast && app.job) {
      if (opts.strategy && opts.strategy !== "heuristic" && opts.strategy !== "auto")
        throw new CliError(
          "time shifting (--forecast) plans with the heuristic: drop --strategy",
          EXIT.usage,
        );
      const job = planJob(inventory, app, forecast, {
        explain: Boolean(opts.explain),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      });
      jobs.push(job);
      plans.push(job.plan);
      inventory = withPlacements(inventory, app, job.plan.placements);
      continue;
    }
    jobs.push(undefined);
    const p = await plan(inventory, app, {
      strategy: opts.strategy ?? "auto",
      explain: Boolean(opts.explain),
      ...(current ? { current } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
    plans.push(p);
    inventory = withPlacements(inventory, app, p.placements);
  }
  return { inventory: base, apps, plans, jobs };
}

/** `{"zones": {"DE": {"start": ISO time, "stepMinutes": 60, "intensityGPerKWh": [...]}}}`; zones without a
 * series keep the inventory's intensity. */
async function readForecast(file: string, inventory: Inventory): Promise<CarbonForecast> {
  let data: { zones?: Record<string, { start?: string; stepMinutes?: number; intensityGPerKWh?: unknown }> };
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read the forecast ${file}: ${(err as Error).message}`, EXIT.usage);
  }
  const series: Parameters<typeof forecastFromSeries>[0] = {};
  for (const [zone, z] of Object.entries(data.zones ?? {})) {
    const startMs = Date.parse(z.start ?? "");
    const values = z.intensityGPerKWh;
    if (
      !Number.isFinite(startMs) ||
      !(Number(z.stepMinutes) > 0) ||
      !Array.isArray(values) ||
      !values.every((v) => typeof v === "number")
    )
      throw new CliError(
        `${file}: zone ${zone} needs "start" (RFC 3339), "stepMinutes" (> 0) and "intensityGPerKWh" (numbers)`,
        EXIT.usage,
      );
    series[zone] = { startMs, stepMs: Number(z.stepMinutes) * 60_000, intensityGPerKWh: values };
  }
  return forecastFromSeries(
    series,
    Object.fromEntries(inventory.zones.map((z) => [z.name, z.intensityGPerKWh])),
  );
}

/** One line on a time-shifted job: when it starts and what that saves against starting now. */
export function formatJob(job: JobPlan): string {
  const now = job.candidates[0]?.startMs ?? job.startMs;
  return `start ${new Date(job.startMs).toISOString()}: ${job.carbonG.toFixed(2)} g CO2e for the run, ${job.savingG.toFixed(2)} g (${job.savingPercent.toFixed(1)} %) less than starting at ${new Date(now).toISOString()} (${job.nowCarbonG.toFixed(2)} g)\n`;
}

async function readCurrent(file: string): Promise<PlacementEntry[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read the current placement ${file}: ${(err as Error).message}`, EXIT.usage);
  }
  const list = Array.isArray(data) ? data : (data as { placements?: unknown }).placements;
  const ok = (e: unknown): e is PlacementEntry => {
    const x = e as Record<string, unknown>;
    return (
      typeof x?.app === "string" &&
      typeof x.service === "string" &&
      typeof x.replica === "number" &&
      typeof x.device === "string"
    );
  };
  if (!Array.isArray(list) || !list.every(ok))
    throw new CliError(
      `${file}: expected a JSON array (or {"placements": [...]}) of {"app","service","replica","device"}, e.g. the output of plan --json`,
      EXIT.usage,
    );
  return list;
}

const round = (v: number, digits = 4) => Number(v.toFixed(digits));

/** Totals of several plans added up. */
export function sumTotals(plans: Plan[]): Totals & BoundTotals {
  const out: Totals & BoundTotals = {
    energyW: 0,
    carbonGPerH: 0,
    costPerHour: 0,
    latencyMs: 0,
    slownessCores: 0,
    batteryDrainPerH: 0,
    objective: 0,
  };
  for (const p of plans) for (const k of Object.keys(out) as (keyof Totals)[]) out[k] += p.totals[k];
  // a sum of bounds bounds the sum
  if (plans.length && plans.every((p) => p.totals.lowerBound !== undefined)) {
    out.lowerBound = plans.reduce((s, p) => s + p.totals.lowerBound!, 0);
    out.gapToBound = out.objective > 0 ? Math.max(0, (out.objective - out.lowerBound) / out.objective) : 0;
  }
  return out;
}

export function formatTotals(t: Totals & BoundTotals): string {
  return `energy ${t.energyW.toFixed(2)} W · carbon ${t.carbonGPerH.toFixed(2)} g/h · cost ${t.costPerHour.toFixed(4)} EUR/h · latency ${t.latencyMs.toFixed(1)} ms · slowness ${t.slownessCores.toFixed(2)} cores · objective ${t.objective.toFixed(4)}${t.lowerBound !== undefined ? ` · lower bound ${t.lowerBound.toFixed(4)} (gap ${(100 * (t.gapToBound ?? 0)).toFixed(2)} %)` : ""}`;
}

/** The plan for people: placements, totals, moves, explanation, problems. */
export function renderPlan(io: Io, inventory: Inventory, p: Plan, explain: boolean): void {
  const devices = new Map(inventory.devices.map((d) => [d.name, d]));
  io.out(
    `${p.app} (${p.strategy}${p.solver?.optimal ? ", proven optimal" : p.totals.gapToBound !== undefined ? `, within ${(100 * p.totals.gapToBound).toFixed(2)} % of optimal` : ""}): ${p.feasible ? "feasible" : "INFEASIBLE"}, ${p.placements.length} replicas\n`,
  );
  if (p.placements.length)
    io.out(
      table(
        ["SERVICE", "REPLICA", "DEVICE", "SITE", "TIER"],
        p.placements.map((e) => [
          e.service,
          e.replica,
          e.device,
          devices.get(e.device)?.site ?? "",
          devices.get(e.device)?.tier ?? "",
        ]),
      ),
    );
  io.out(`totals: ${formatTotals(p.totals)}\n`);
  if (p.moves.length) {
    io.out(`moves (in order, make-before-break):\n`);
    io.out(
      table(
        ["STEP", "OP", "SERVICE", "REPLICA", "DEVICE", "WHY"],
        p.moves.map((m) => [m.step, m.op, m.service, m.replica, m.device, m.why]),
      ),
    );
  }
  if (explain && p.explain) {
    io.out("why:\n");
    io.out(
      table(
        [
          "SERVICE",
          "REPLICA",
          "DEVICE",
          "RUNNER-UP",
          "+OBJ",
          "ENERGY",
          "CARBON",
          "COST",
          "PERF",
          "LATENCY",
          "BATTERY",
        ],
        p.explain.replicas.map((r) => [
          r.service,
          r.replica,
          r.device,
          r.runnerUp?.device ?? "-",
          r.runnerUp ? round(r.runnerUp.objectiveDelta) : "-",
          round(r.contributions.energy),
          round(r.contributions.carbon),
          round(r.contributions.cost),
          round(r.contributions.performance),
          round(r.contributions.latency),
          round(r.contributions.battery),
        ]),
      ),
    );
    for (const s of p.explain.services) {
      const rejected = REASONS.filter((r) => s.rejected[r])
        .map((r) => `${s.rejected[r]} ${r}`)
        .join(", ");
      io.out(
        `  ${s.service}: ${s.candidates} candidate devices${rejected ? `; rejected: ${rejected}` : ""}\n`,
      );
    }
  }
  for (const v of p.violations) io.out(`  violation: ${v}\n`);
}

export const registerPlan: Register = (program, io, outcome) => {
  connectionOptions(program.command("plan"))
    .description(
      "place an application's replicas on an inventory's devices (QoS-, carbon- and capacity-aware)",
    )
    .option("-f, --file <file...>", "Application or Job manifests (required without --server)")
    .option("--inventory <file>", "Inventory manifest (required without --server)")
    .option("--current <file>", "current placement (JSON, as printed by plan --json) to re-plan from")
    .option("--strategy <name>", `${STRATEGIES.join(" | ")}`, "auto")
    .option("--explain", "explain every decision")
    .option("--json", "print one JSON object")
    .option("--seed <n>", "seed of the heuristic", (v) => Number.parseInt(v, 10))
    .option(
      "--export-mps <file>",
      "also write the exact model (MPS) of the first application, for CBC or GLPK",
    )
    .option(
      "--forecast <file>",
      "per-zone carbon intensity forecast (JSON): time-shift Jobs within their deadline",
    )
    .action(
      async (
        opts: ConnectionFlags & {
          file: string[];
          inventory: string;
          current?: string;
          strategy: string;
          explain?: boolean;
          json?: boolean;
          seed?: number;
          forecast?: string;
          exportMps?: string;
        },
      ) => {
        // --server: a dry run against the Knowledge Base's live state (plan-server.ts)
        if (opts.server || opts.context) return planOnServer(io, outcome, opts);
        if (!opts.file || !opts.inventory)
          throw new CliError(
            "plan needs -f FILE and --inventory FILE (or --server for the live state)",
            EXIT.usage,
          );
        if (!STRATEGIES.includes(opts.strategy as Strategy))
          throw new CliError(
            `unknown strategy ${opts.strategy}: use one of ${STRATEGIES.join(", ")}`,
            EXIT.usage,
          );
        const result = await planFiles(io, {
          ...opts,
          files: opts.file,
          strategy: opts.strategy as Strategy,
        });
        if (!result) {
          outcome.exitCode = EXIT.failed;
          return;
        }
        const { plans, inventory, jobs } = result;
        if (opts.exportMps)
          await writeFile(
            resolve(io.cwd, opts.exportMps),
            exportMps(inventory, result.apps[0]!, { strategy: "exact" }),
          );
        const feasible = plans.every((p) => p.feasible);
        if (opts.json) {
          const explain = opts.explain
            ? plans.length === 1
              ? plans[0]!.explain
              : plans.map((p) => p.explain)
            : null;
          io.out(
            `${JSON.stringify({
              feasible,
              strategy: opts.strategy,
              chosen: plans.map((p) => ({
                app: p.app,
                strategy: p.strategy,
                optimal: p.solver?.optimal ?? false,
              })),
              placements: plans.flatMap((p) => p.placements),
              totals: sumTotals(plans),
              moves: plans.flatMap((p) => p.moves),
              problems: plans.flatMap((p) => p.problems),
              violations: plans.flatMap((p) => p.violations),
              explain,
              jobs: jobs.flatMap((j, k) =>
                j
                  ? [
                      {
                        app: plans[k]!.app,
                        start: new Date(j.startMs).toISOString(),
                        carbonG: j.carbonG,
                        nowCarbonG: j.nowCarbonG,
                        savingG: j.savingG,
                        savingPercent: j.savingPercent,
                      },
                    ]
                  : [],
              ),
            })}\n`,
          );
        } else
          for (const [k, p] of plans.entries()) {
            renderPlan(io, inventory, p, Boolean(opts.explain));
            const job = jobs[k];
            if (job) io.out(formatJob(job));
          }
        if (!feasible) {
          for (const line of plans.flatMap((p) => p.problems)) io.err(`${line}\n`);
          io.err(
            "no plan satisfies every hard constraint: relax the constraints named above or add capacity\n",
          );
          outcome.exitCode = EXIT.failed;
        }
      },
    );
};
