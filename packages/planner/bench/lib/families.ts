// The quality section of `pnpm bench planner`: every instance family at two sizes, each strategy's gap to an
// optimum proven by HiGHS within a generous limit, the optimum checked by CBC on the exported MPS.
import { highs, problemMps } from "../../src/exact.js";
import { FAMILIES, type Family, familyInstance, type Size } from "../../src/families.js";
import { plan, planSync } from "../../src/plan.js";
import { buildProblem } from "../../src/problem.js";
import type { Plan } from "../../src/types.js";
import { cbcAvailable, solveWithCbc } from "./cbc.js";

export interface FamilyRunOptions {
  small: number;
  medium: number;
  /** HiGHS limit of the exact run, which is also the reference optimum when it proves it, s; CBC's too. */
  referenceLimitS: number;
  families?: readonly Family[];
  log: (line: string) => void;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : Number.NaN);
const r3 = (v: number) => Number(v.toFixed(3));

type Who = "heuristic" | "exact" | "auto";

/** Wall and CPU time of one plan (HiGHS runs in this process, so its CPU time is in `cpuMs`). */
async function timed(run: () => Plan | Promise<Plan>): Promise<{ plan: Plan; ms: number; cpuMs: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const p = await run();
  const used = process.cpuUsage(c);
  return { plan: p, ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}

export async function runFamilies(o: FamilyRunOptions): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  const cbc = cbcAvailable();
  await highs(); // load and compile HiGHS before timing anything: the first instance would pay for it
  if (!cbc) o.log("cbc not found: apt-get install coinor-cbc to cross-check the optima (skipped)");
  o.log(
    "\nfamilies: gap to the proven optimum, % (median / mean / max) and wall ms (p50 / max) per strategy",
  );
  o.log(
    "family        size    n  infeas  unproven  cbc agrees  heuristic gap      ms        exact gap        ms           auto gap         ms         auto proved",
  );
  for (const family of o.families ?? FAMILIES)
    for (const size of ["small", "medium"] as Size[]) {
      const count = size === "small" ? o.small : o.medium;
      if (count === 0) continue;
      const gaps: Record<Who, number[]> = { heuristic: [], exact: [], auto: [] };
      const times: Record<Who, number[]> = { heuristic: [], exact: [], auto: [] };
      const cpu: Record<Who, number[]> = { heuristic: [], exact: [], auto: [] };
      /** Feasible instances where the strategy returned no complete plan (left out of its gaps). */
      const missed: Record<Who, number> = { heuristic: 0, exact: 0, auto: 0 };
      const cbcMs: number[] = [];
      const cbcCpuMs: number[] = [];
      /** Every instance (infeasible and unproven too), exact's CPU beside CBC's on the same model. */
      const side: { exact: number; cbc: number }[] = [];
      let infeasible = 0;
      let unproven = 0;
      let agree = 0;
      let disagree = 0;
      /** CBC hit its time limit: neither agreement nor disagreement. */
      let cbcUnfinished = 0;
      let autoExact = 0;
      /** Instances whose optimum only CBC proved within the limit. */
      let provedByCbc = 0;
      for (let seed = 1; seed <= count; seed++) {
        const { inventory, app } = familyInstance(family, size, seed);
        const runs = {
          heuristic: await timed(() => planSync(inventory, app, { strategy: "heuristic" })),
          exact: await timed(() =>
            plan(inventory, app, { strategy: "exact", exactTimeLimitS: o.referenceLimitS }),
          ),
          auto: await timed(() => plan(inventory, app)),
        };
        // the reference: the exact run (the generous limit), when it proved the optimum
        const ref = runs.exact.plan;
        const mps = cbc ? problemMps(buildProblem(inventory, app)) : "";
        const check = cbc ? solveWithCbc(mps, o.referenceLimitS) : undefined;
        if (check) cbcMs.push(check.wallMs);
        if (check?.cpuMs !== undefined) cbcCpuMs.push(check.cpuMs);
        if (check?.status === "stopped") cbcUnfinished++;
        if (check?.cpuMs !== undefined) side.push({ exact: runs.exact.cpuMs, cbc: check.cpuMs });
        if (!ref.feasible) {
          infeasible++;
          if (check?.status === "infeasible") agree++;
          else if (check && check.status !== "stopped") disagree++;
          continue;
        }
        // HiGHS's proven optimum, else CBC's (an independent solver on the exported model)
        const byCbc = !ref.solver?.optimal && check?.status === "optimal";
        if (!ref.solver?.optimal && !byCbc) {
          unproven++;
          continue;
        }
        if (byCbc) provedByCbc++;
        const optimum = byCbc ? check!.objective! : ref.totals.objective;
        if (byCbc) {
          // HiGHS's incumbent may not beat CBC's proven optimum
          if (ref.totals.objective < optimum - 1e-6 * Math.max(1, Math.abs(optimum))) disagree++;
        } else if (check?.status === "optimal")
          Math.abs(check.objective! - optimum) <= 1e-6 * Math.max(1, Math.abs(optimum))
            ? agree++
            : disagree++;
        else if (check && check.status !== "stopped") disagree++;
        for (const who of ["heuristic", "exact", "auto"] as Who[]) {
          const r = runs[who].plan;
          times[who].push(runs[who].ms);
          cpu[who].push(runs[who].cpuMs);
          if (r.feasible) gaps[who].push((100 * (r.totals.objective - optimum)) / Math.abs(optimum || 1));
          else missed[who]++;
        }
        if (runs.auto.plan.solver?.optimal) autoExact++;
      }
      const key = `${family}_${size}`;
      metrics[`${key}_instances`] = count;
      metrics[`${key}_infeasible`] = infeasible;
      metrics[`${key}_unproven`] = unproven;
      metrics[`${key}_optimum_by_cbc`] = provedByCbc;
      if (cbc) {
        metrics[`${key}_cbc_agrees`] = agree;
        metrics[`${key}_cbc_disagrees`] = disagree;
        metrics[`${key}_cbc_unfinished`] = cbcUnfinished;
        metrics[`${key}_cbc_p50_ms`] = r3(median(cbcMs));
        metrics[`${key}_cbc_max_ms`] = r3(max(cbcMs));
        metrics[`${key}_cbc_p50_cpu_ms`] = r3(median(cbcCpuMs));
        metrics[`${key}_cbc_max_cpu_ms`] = r3(max(cbcCpuMs));
        // exact (model build, warm-start heuristic and HiGHS) against CBC on the same exported model
        const ratio = side.map((x) => x.exact / Math.max(1, x.cbc));
        metrics[`${key}_exact_all_p50_cpu_ms`] = r3(median(side.map((x) => x.exact)));
        metrics[`${key}_exact_all_max_cpu_ms`] = r3(max(side.map((x) => x.exact)));
        metrics[`${key}_exact_over_cbc_cpu_median`] = r3(median(ratio));
        metrics[`${key}_exact_over_cbc_cpu_max`] = r3(max(ratio));
        metrics[`${key}_exact_not_slower_than_cbc`] = ratio.filter((x) => x <= 1).length;
        o.log(
          `  ${family} ${size}: exact cpu ms p50 ${median(side.map((x) => x.exact)).toFixed(0)} max ${max(side.map((x) => x.exact)).toFixed(0)}, cbc cpu ms p50 ${median(side.map((x) => x.cbc)).toFixed(0)} max ${max(side.map((x) => x.cbc)).toFixed(0)}; exact/cbc per instance median ${median(ratio).toFixed(2)} max ${max(ratio).toFixed(2)}, exact not slower on ${ratio.filter((x) => x <= 1).length}/${ratio.length}`,
        );
      }
      metrics[`${key}_auto_proved_optimal`] = autoExact;
      const cells: string[] = [];
      for (const who of ["heuristic", "exact", "auto"] as Who[]) {
        const g = gaps[who];
        metrics[`${key}_${who}_no_plan`] = missed[who];
        metrics[`${key}_${who}_gap_median_percent`] = r3(median(g));
        metrics[`${key}_${who}_gap_mean_percent`] = r3(mean(g));
        metrics[`${key}_${who}_gap_max_percent`] = r3(max(g));
        metrics[`${key}_${who}_p50_ms`] = r3(median(times[who]));
        metrics[`${key}_${who}_max_ms`] = r3(max(times[who]));
        metrics[`${key}_${who}_p50_cpu_ms`] = r3(median(cpu[who]));
        metrics[`${key}_${who}_max_cpu_ms`] = r3(max(cpu[who]));
        cells.push(
          `${median(g).toFixed(3)}/${mean(g).toFixed(3)}/${max(g).toFixed(3)}${missed[who] ? ` (${missed[who]} no plan)` : ""}`.padStart(
            20,
          ),
          `${median(times[who]).toFixed(0)}/${max(times[who]).toFixed(0)} (${median(cpu[who]).toFixed(0)})`.padStart(
            17,
          ),
        );
      }
      o.log(
        `${family.padEnd(13)} ${size.padEnd(6)} ${String(count).padStart(3)}  ${String(infeasible).padStart(6)}  ${String(unproven).padStart(8)}  ${cbc ? `${agree}/${agree + disagree} ${median(cbcMs).toFixed(0)} ms`.padStart(10) : "-".padStart(10)}${cells.join("")}  ${String(autoExact).padStart(6)}`,
      );
    }
  return metrics;
}
