// `qonnect plan`: load (plan/input.ts), plan each application in turn, render (plan/render.ts), report.
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Application, Inventory } from "@qonnect/core";
import {
  exportMps,
  type JobPlan,
  type Plan,
  plan,
  planJob,
  type Strategy,
  withPlacements,
} from "@qonnect/planner";
import { CliError, EXIT, type Io } from "../io.js";
import { type ConnectionFlags, connectionOptions } from "../kb-connection.js";
import { loadPlanInput, type PlanInput } from "../plan/input.js";
import { formatJob, planJson, renderPlan } from "../plan/render.js";
import type { Outcome } from "../run.js";
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

export interface PlannedFiles {
  inventory: Inventory;
  apps: Application[];
  plans: Plan[];
  jobs: (JobPlan | undefined)[];
}

/** Plans each application in turn; each one sees the capacity the previous ones took. */
async function planAll(input: PlanInput, opts: PlanFilesOptions): Promise<PlannedFiles> {
  const plans: Plan[] = [];
  const jobs: (JobPlan | undefined)[] = [];
  const seed = opts.seed !== undefined ? { seed: opts.seed } : {};
  let inventory = input.inventory;
  for (const app of input.apps) {
    if (input.forecast && app.job) {
      if (opts.strategy && opts.strategy !== "heuristic" && opts.strategy !== "auto")
        throw new CliError(
          "time shifting (--forecast) plans with the heuristic: drop --strategy",
          EXIT.usage,
        );
      const job = planJob(inventory, app, input.forecast, { explain: Boolean(opts.explain), ...seed });
      jobs.push(job);
      plans.push(job.plan);
      inventory = withPlacements(inventory, app, job.plan.placements);
      continue;
    }
    jobs.push(undefined);
    const p = await plan(inventory, app, {
      strategy: opts.strategy ?? "auto",
      explain: Boolean(opts.explain),
      ...(input.current ? { current: input.current } : {}),
      ...seed,
    });
    plans.push(p);
    inventory = withPlacements(inventory, app, p.placements);
  }
  return { inventory: input.inventory, apps: input.apps, plans, jobs };
}

/** Loads the manifests (every validation error as file:line:col; undefined then) and plans them. */
export async function planFiles(io: Io, opts: PlanFilesOptions): Promise<PlannedFiles | undefined> {
  const input = await loadPlanInput(io, opts);
  return input && planAll(input, opts);
}

/** Why a plan failed, on stderr, in words that are true for the strategy asked for; exit 1. */
export function reportInfeasible(io: Io, outcome: Outcome, plans: Plan[]): void {
  if (plans.every((p) => p.feasible)) return;
  outcome.exitCode = EXIT.failed;
  for (const line of plans.flatMap((p) => p.problems)) io.err(`${line}\n`);
  if (plans.some((p) => !p.feasible && p.strategy === "borda"))
    io.err(
      "the borda baseline ranks devices without checking hard constraints, so its plan breaks the ones listed above; " +
        "use --strategy heuristic or exact for a plan that keeps them\n",
    );
  else io.err("no plan satisfies every hard constraint: relax the constraints named above or add capacity\n");
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
        opts: ConnectionFlags &
          Omit<PlanFilesOptions, "files" | "strategy"> & {
            file: string[];
            strategy: string;
            json?: boolean;
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
        if (opts.exportMps)
          await writeFile(
            resolve(io.cwd, opts.exportMps),
            exportMps(result.inventory, result.apps[0]!, { strategy: "exact" }),
          );
        if (opts.json) io.out(`${JSON.stringify(planJson(result.plans, result.jobs, opts))}\n`);
        else
          for (const [k, p] of result.plans.entries()) {
            renderPlan(io, result.inventory, p, Boolean(opts.explain));
            const job = result.jobs[k];
            if (job) io.out(formatJob(job));
          }
        reportInfeasible(io, outcome, result.plans);
      },
    );
};
