// Local re-placement: when devices are gone (dead, or unreachable past an application's grace), the leader
// re-plans the affected applications itself with the planner's incremental heuristic, from the current
// placement with hysteresis on, so only what must move moves. Pure: time and live facts are passed in.
import { type PlacementEntry, planSync, withPlacements } from "@qonnect/planner";
import type { MoveRecord, PlacementRecord, VerdictName } from "./region-command.js";
import { type LiveFacts, liveInventory, type RegionModel } from "./region-model.js";
import { sortPlacements } from "./region-state.js";

export interface ReplanInput {
  model: RegionModel;
  placements: readonly PlacementRecord[];
  verdictOf(device: string): { verdict: VerdictName; sinceMs: number } | undefined;
  live(device: string): LiveFacts | undefined;
  nowMs: number;
  /** Planner options; defaults: hysteresis 0.1, migration cost 0.1, seed 1. */
  hysteresis?: number;
  migrationCost?: number;
}

export interface ReplanResult {
  placements: PlacementRecord[];
  moves: Omit<MoveRecord, "planVersion" | "origin">[];
  /** Applications that could not be re-placed, in words (they keep their surviving replicas). */
  problems: string[];
}

/** Whether any placed replica sits on a device that is gone for its application. */
export function displacedReplicas(input: ReplanInput): PlacementRecord[] {
  const { model, placements, verdictOf, nowMs } = input;
  return placements.filter((p) => {
    const v = verdictOf(p.device);
    if (!v) return false;
    const grace = model.apps.get(p.app)?.partitionGraceS ?? 300;
    return v.verdict === "dead" || (v.verdict === "unreachable" && nowMs - v.sinceMs >= grace * 1000);
  });
}

function whyGone(input: ReplanInput, device: string): string {
  const v = input.verdictOf(device);
  if (v?.verdict === "unreachable")
    return `device ${device} unreachable for ${Math.round((input.nowMs - v.sinceMs) / 1000)} s (partition grace over)`;
  return `device ${device} is ${v?.verdict ?? "gone"}`;
}

/** A new whole-region placement, or undefined when nothing is displaced (or nothing can be done). */
export function replanRegion(input: ReplanInput): ReplanResult | undefined {
  const displaced = displacedReplicas(input);
  const { model } = input;
  if (displaced.length === 0 || !model.inventory) return undefined;
  const affected = [...new Set(displaced.map((p) => p.app))].sort();
  const out: PlacementRecord[] = input.placements.filter((p) => !affected.includes(p.app));
  const moves: ReplanResult["moves"] = [];
  const problems: string[] = [];
  for (const name of affected) {
    const current = input.placements.filter((p) => p.app === name);
    const ra = model.apps.get(name);
    if (!ra) {
      problems.push(`application ${name} has replicas here but no manifest in the region context`);
      out.push(...current);
      continue;
    }
    let inventory = liveInventory(
      model.inventory,
      input.verdictOf,
      input.live,
      ra.partitionGraceS,
      input.nowMs,
    );
    // every other application's replicas take their share first
    for (const [other, o] of model.apps)
      if (other !== name)
        inventory = withPlacements(
          inventory,
          o.app,
          out.filter((p) => p.app === other),
        );
    const plan = planSync(inventory, ra.app, {
      current: current as PlacementEntry[],
      hysteresis: input.hysteresis ?? 0.1,
      migrationCost: input.migrationCost ?? 0.1,
      seed: 1,
    });
    if (!plan.feasible) {
      problems.push(`application ${name}: no feasible re-placement (${plan.problems.join("; ")})`);
      out.push(...current);
      continue;
    }
    out.push(...plan.placements);
    const before = new Map(current.map((p) => [`${p.service}/${p.replica}`, p.device]));
    const gone = new Set(displaced.map((p) => p.device));
    for (const p of plan.placements) {
      const from = before.get(`${p.service}/${p.replica}`) ?? "";
      if (from === p.device) continue;
      moves.push({
        app: name,
        service: p.service,
        replica: p.replica,
        fromDevice: from,
        toDevice: p.device,
        reason: gone.has(from)
          ? whyGone(input, from)
          : from
            ? "better placement while re-planning"
            : "new replica",
        tsMs: input.nowMs,
      });
    }
  }
  return { placements: sortPlacements(out), moves, problems };
}
