// `pnpm bench planner [--json] [--quick|--smoke] [--only replan|scale|families|quality] [--families a,b]`: plan time and memory
// at scale, re-plan after a device loss, every strategy's gap to the proven optimum on each instance family
// (bench/lib/families.ts, checked against CBC), and the Borda baseline against ours.
import { cpus } from "node:os";
import type { Inventory } from "@qonnect/core";
import { assessPlacement } from "../src/assess.js";
import type { Family } from "../src/families.js";
import { generateApplication, generateInventory, generateSmallInstance } from "../src/generate.js";
import { Planner, plan, planSync } from "../src/plan.js";
import { runFamilies } from "./lib/families.js";

const json = process.argv.includes("--json");
const smoke = process.argv.includes("--smoke");
const quick = smoke || process.argv.includes("--quick");
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const section = (name: string) => !only || only === name;
/** `--families a,b` runs those instance families only (to split the families section over processes). */
const familiesAt = process.argv.indexOf("--families");
const mediumAt = process.argv.indexOf("--medium");
const familyList = familiesAt >= 0 ? (process.argv[familiesAt + 1]!.split(",") as Family[]) : undefined;
/** CPU time of this process, ms: on a shared machine wall time also counts other processes' turns. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** The table for people: stdout, or stderr with --json (stdout is then the JSON line alone). */
const log = (line: string) => {
  if (json) process.stderr.write(`${line}\n`);
  else console.log(line);
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const metrics: Record<string, number> = {};

// Sections run re-plan, scale, then quality: the scale runs leave a large heap whose collection would
// otherwise land in the re-plan timings, and HiGHS's WebAssembly memory would inflate the scale's RSS.
// 2. incremental re-plan after one device loss (1,000 devices, 1,000 replicas)
if (section("replan")) {
  const inventory = generateInventory(1000, 7);
  const app = generateApplication(inventory, { devices: 1000, replicas: 1000, seed: 7 });
  const first = planSync(inventory, app);
  const counts = new Map<string, number>();
  for (const p of first.placements) counts.set(p.device, (counts.get(p.device) ?? 0) + 1);
  const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 9);
  const times: number[] = [];
  const cpu: number[] = [];
  const rebuild: number[] = [];
  const moved: number[] = [];
  for (const [name] of busiest) {
    const lost: Inventory = {
      ...inventory,
      devices: inventory.devices.map((d) => (d.name === name ? { ...d, alive: false } : d)),
    };
    // the live path: a planning session that patches its model (Planner)
    const session = new Planner(app);
    session.plan(inventory, { current: first.placements });
    const t = performance.now();
    const c = cpuMs();
    const p = session.plan(lost, { current: first.placements });
    times.push(performance.now() - t);
    cpu.push(cpuMs() - c);
    moved.push(p.moves.filter((m) => m.op === "start").length);
    if (!p.feasible) throw new Error("re-plan infeasible");
    // for comparison: the same re-plan rebuilding the model from scratch
    const r = performance.now();
    planSync(lost, app, { current: first.placements });
    rebuild.push(performance.now() - r);
  }
  metrics.replan_1000d_device_loss_rebuild_p50_ms = Number(median(rebuild).toFixed(1));
  metrics.replan_1000d_device_loss_p50_ms = Number(median(times).toFixed(1));
  metrics.replan_1000d_device_loss_max_ms = Number(Math.max(...times).toFixed(1));
  metrics.replan_1000d_device_loss_p50_cpu_ms = Number(median(cpu).toFixed(1));
  const still = planSync(inventory, app, { current: first.placements });
  metrics.replan_unchanged_moves = still.moves.length;
  metrics.replan_replicas_moved_median = median(moved);
  log(
    `\nre-plan with nothing changed: ${still.moves.length} moves\nre-plan after losing one of the busiest devices (1,000 devices, 1,000 replicas, ${times.length} runs): p50 ${median(times).toFixed(1)} ms (cpu ${median(cpu).toFixed(1)} ms), max ${Math.max(...times).toFixed(1)} ms, replicas moved median ${median(moved)}, rebuilding the model instead: p50 ${median(rebuild).toFixed(1)} ms (lost device hosted ${busiest.map(([, n]) => n).join("/")})`,
  );
}

// 1. scale
if (section("scale")) {
  log("scale: plan time (build + heuristic), p50 of runs; peak RSS of the process so far");
  log("devices  replicas  runs  p50 ms  p50 cpu ms  heap MB  peak RSS MB  feasible  unplaced");
  const deviceSizes = smoke ? [100] : quick ? [100, 1000] : [100, 1000, 5000];
  const replicaSizes = smoke ? [100] : quick ? [100, 1000] : [100, 1000, 10000];
  for (const devices of deviceSizes) {
    const inventory = generateInventory(devices, 42);
    for (const replicas of replicaSizes) {
      const app = generateApplication(inventory, { devices, replicas, seed: 42 });
      const runs = replicas >= 10000 || devices >= 5000 ? 3 : 5;
      const times: number[] = [];
      const cpu: number[] = [];
      let feasible = true;
      let unplaced = 0;
      let heapMb = 0;
      for (let r = 0; r < runs; r++) {
        const before = process.memoryUsage().heapUsed;
        const t = performance.now();
        const c = cpuMs();
        const p = planSync(inventory, app, { seed: r + 1 });
        times.push(performance.now() - t);
        cpu.push(cpuMs() - c);
        heapMb = Math.max(heapMb, (process.memoryUsage().heapUsed - before) / 2 ** 20);
        feasible = p.feasible;
        unplaced = replicas - p.placements.length;
      }
      const key = `scale_${devices}d_${replicas}r`;
      // the default of plan() (auto): too large for HiGHS, so the heuristic plus a lower bound
      if (devices === deviceSizes.at(-1) && replicas === replicaSizes.at(-1)) {
        const t = performance.now();
        const auto = await plan(inventory, app);
        metrics[`${key}_auto_ms`] = Number((performance.now() - t).toFixed(1));
        metrics[`${key}_auto_gap_to_bound_percent`] = Number(
          (100 * (auto.totals.gapToBound ?? Number.NaN)).toFixed(2),
        );
        log(
          `  plan() auto: ${auto.strategy} (${auto.solver?.reason}), ${(performance.now() - t).toFixed(0)} ms, gap to its ${auto.solver?.bound} bound ${(100 * (auto.totals.gapToBound ?? Number.NaN)).toFixed(2)} %`,
        );
      }
      metrics[`${key}_p50_ms`] = Number(median(times).toFixed(1));
      metrics[`${key}_p50_cpu_ms`] = Number(median(cpu).toFixed(1));
      metrics[`${key}_peak_rss_mb`] = Number(peakRssMb().toFixed(0));
      metrics[`${key}_unplaced`] = unplaced;
      log(
        `${String(devices).padStart(7)}  ${String(replicas).padStart(8)}  ${String(runs).padStart(4)}  ${median(times).toFixed(1).padStart(6)}  ${median(cpu).toFixed(1).padStart(10)}  ${heapMb.toFixed(0).padStart(8)}  ${peakRssMb().toFixed(0).padStart(11)}  ${String(feasible).padStart(8)}  ${String(unplaced).padStart(8)}`,
      );
    }
  }
}

// 3. every strategy on every instance family against the proven optimum
if (section("families")) {
  Object.assign(
    metrics,
    await runFamilies({
      small: smoke ? 1 : quick ? 3 : 10,
      medium: mediumAt >= 0 ? Number(process.argv[mediumAt + 1]) : smoke ? 0 : quick ? 1 : 3,
      referenceLimitS: smoke ? 20 : 60,
      ...(familyList ? { families: familyList } : {}),
      log,
    }),
  );
}

// 4. the first quality check (baseline family) against exact, and borda against ours quality check against exact, and borda against ours
if (section("quality")) {
  const gaps: number[] = [];
  const sums = {
    ours: { energyW: 0, carbonGPerH: 0, costPerHour: 0, objective: 0 },
    borda: { energyW: 0, carbonGPerH: 0, costPerHour: 0, objective: 0 },
  };
  let compared = 0;
  let infeasible = 0;
  let mismatched = 0;
  let bordaViolations = 0;
  let bordaCapacity = 0;
  let bordaInstances = 0;
  let ourViolations = 0;
  const count = smoke ? 3 : quick ? 10 : 20;
  for (let seed = 1; seed <= count; seed++) {
    const { inventory, app } = generateSmallInstance(1000 + seed, 5 + (seed % 4), 4 + ((seed * 3) % 6));
    const exact = await plan(inventory, app, { strategy: "exact", exactTimeLimitS: 30 });
    const ours = planSync(inventory, app, { strategy: "heuristic" });
    const borda = planSync(inventory, app, { strategy: "borda" });
    ourViolations += assessPlacement(inventory, app, ours.placements).violations.filter(
      (v) => !v.endsWith("not placed"),
    ).length;
    if (!exact.feasible || !ours.feasible) {
      if (exact.feasible !== ours.feasible) {
        mismatched++;
        gaps.push(Number.POSITIVE_INFINITY);
      } else infeasible++;
      continue;
    }
    compared++;
    gaps.push(
      (100 * (ours.totals.objective - exact.totals.objective)) / Math.abs(exact.totals.objective || 1),
    );
    for (const k of ["energyW", "carbonGPerH", "costPerHour", "objective"] as const) {
      sums.ours[k] += ours.totals[k];
      sums.borda[k] += borda.totals[k];
    }
    bordaViolations += borda.violations.length;
    bordaCapacity += borda.violations.filter((v) => v.includes("over capacity")).length;
    if (borda.violations.length) bordaInstances++;
  }
  metrics.quality_instances = compared;
  metrics.quality_infeasible_instances = infeasible;
  metrics.quality_feasibility_mismatches = mismatched;
  metrics.gap_median_percent = Number(median(gaps).toFixed(3));
  metrics.gap_max_percent = Number(Math.max(...gaps).toFixed(3));
  metrics.gap_zero_instances = gaps.filter((g) => g <= 1e-6).length;
  metrics.ours_hard_violations = ourViolations;
  metrics.borda_hard_violations = bordaViolations;
  metrics.borda_capacity_violations = bordaCapacity;
  metrics.borda_instances_with_violations = bordaInstances;
  for (const who of ["ours", "borda"] as const)
    for (const [k, v] of Object.entries(sums[who]))
      metrics[`${who}_mean_${k}`] = Number((v / Math.max(1, compared)).toFixed(4));
  log(
    `\nquality on ${count} small random instances, 5–8 devices, 4–9 replicas (${compared} feasible, ${infeasible} infeasible for both, ${mismatched} where only HiGHS found a plan):`,
  );
  log(
    `  heuristic gap to the HiGHS optimum: median ${median(gaps).toFixed(3)} %, max ${Math.max(...gaps).toFixed(3)} %, optimal on ${metrics.gap_zero_instances}`,
  );
  log("\nborda baseline vs ours on the same instances (means over the feasible ones):");
  log("          energyW  carbonGPerH  costPerHour  objective  hard violations");
  for (const who of ["ours", "borda"] as const)
    log(
      `  ${who.padEnd(6)} ${(sums[who].energyW / compared).toFixed(2).padStart(8)}  ${(sums[who].carbonGPerH / compared).toFixed(3).padStart(11)}  ${(sums[who].costPerHour / compared).toFixed(4).padStart(11)}  ${(sums[who].objective / compared).toFixed(4).padStart(9)}  ${who === "ours" ? ourViolations : `${bordaViolations} (${bordaCapacity} capacity, on ${bordaInstances} instances)`}`,
    );
}

const env = {
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? "",
};
if (json) console.log(JSON.stringify({ bench: "planner", metrics, env }));
else log(`\nenv: ${JSON.stringify(env)}`);
