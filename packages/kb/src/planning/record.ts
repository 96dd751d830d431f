// Writes what a planning round decided: one Placement resource per application (its replicas, totals,
// moves and explanation, with a short history), each application's or job's status, and events.
import type { fogV1 } from "@qonnect/proto";
import type { EventLog } from "../api/event-log.js";
import type { Store, StoredResource, WriteGroup, WriteOp } from "../store/store.js";
import type { AppPlan, PlanAll } from "./plan-all.js";
import { StatusWriter } from "./status-writer.js";
import type { PlacementSpec } from "./world.js";

export interface RecordContext {
  store: Store;
  events: EventLog;
  nowMs: () => number;
  /** The Placement as last written (the planning loop's cached world). */
  placement: (namespace: string, name: string) => StoredResource | undefined;
  /** Every Placement (for a full round to drop those of applications that are gone). */
  placements: () => StoredResource[];
}

/** The explanation without the per-device rejection map (thousands of entries on a large fleet). */
function compactExplanation(a: AppPlan): unknown {
  const e = a.plan.explain;
  if (!e) return undefined;
  return {
    weights: e.weights,
    replicas: e.replicas,
    services: e.services.map(({ rejectedDevices: _drop, ...rest }) => rest),
  };
}

/** A job's decision as the Placement keeps it: without the start options (the job's status has them). */
function placementJob(job: NonNullable<AppPlan["job"]>): Omit<NonNullable<AppPlan["job"]>, "startOptions"> {
  const { startOptions: _, ...rest } = job;
  return rest;
}

/** The re-plan's account: why what moved moved and the rest stayed (Placement `spec.replan`). */
function replanOf(a: AppPlan, reasons: readonly string[]): PlacementSpec["replan"] {
  const r = a.plan.replan!;
  const physical = (t: Record<string, number>) => ({
    carbonGPerH: t["carbonGPerH"] ?? 0,
    energyW: t["energyW"] ?? 0,
    costPerHour: t["costPerHour"] ?? 0,
    objective: t["objective"] ?? 0,
  });
  return {
    reasons: [...reasons],
    moved: r.moved,
    kept: r.kept,
    moves: r.moves,
    stay: physical({ ...r.stay }),
    after: physical({ ...a.plan.totals }),
    migrationPerReplica: r.migration,
    hysteresisPerReplica: r.hysteresis,
    thresholdPerReplica: r.migration + r.hysteresis,
  };
}

/** Whether a placement kept as it was now costs noticeably differently (carbon, energy or cost, 0.5 %). */
function worldChanged(before: PlacementSpec, next: PlacementSpec): boolean {
  for (const k of ["carbonGPerH", "energyW", "costPerHour"]) {
    const [a, b] = [before.totals[k] ?? 0, next.totals[k] ?? 0];
    if (Math.abs(a - b) > 0.005 * Math.max(Math.abs(a), Math.abs(b), 1e-9)) return true;
  }
  return false;
}

function phaseOf(a: AppPlan, nowMs: number): string {
  if (!a.plan.feasible) return "Infeasible";
  if (!a.job) return "Placed";
  if (nowMs < a.job.startMs) return "Waiting";
  return nowMs < a.job.endMs ? "Running" : "Done";
}

export async function recordRound(
  ctx: RecordContext,
  result: PlanAll,
  regionOf: (device: string) => string,
  planId: string,
  fullRound: boolean,
  reasons: readonly string[] = [],
): Promise<Map<string, fogV1.PlanMove[]>> {
  const now = ctx.nowMs();
  const movesByRegion = new Map<string, fogV1.PlanMove[]>();
  // one group per application (its Placement, its status, its event), all submitted at once so they share
  // a few transactions instead of three fsyncs per application
  const groups: WriteGroup[] = [];
  for (const a of result.apps) {
    const ops: WriteOp[] = [];
    const name = a.entry.app.name;
    const ns = a.entry.resource.namespace;
    const spec: PlacementSpec = {
      app: name,
      kind: a.entry.app.kind,
      feasible: a.plan.feasible,
      placements: a.plan.placements.map((p) => ({ ...p, region: regionOf(p.device) })),
      totals: { ...a.plan.totals },
      moves: a.plan.moves,
      problems: a.plan.problems,
      ...(a.plan.explain ? { explanation: compactExplanation(a) } : {}),
      ...(a.plan.replan ? { replan: replanOf(a, reasons) } : {}),
      planId,
      // the start options go to the job's status only (the Signals screen draws them)
      ...(a.job ? { job: placementJob(a.job) } : {}),
    };
    const key = { kind: "Placement", namespace: ns, name };
    const before = ctx.placement(ns, name);
    const prevPlacements = JSON.stringify((before?.spec as PlacementSpec | undefined)?.placements ?? []);
    const changedPlacement = prevPlacements !== JSON.stringify(spec.placements);
    // nothing moved but the world changed what this placement costs (a signal, a sunset): the Placement says
    // so, with why nothing was worth moving; the plan it was sent as stays the same
    const repriced = !changedPlacement && before && worldChanged(before.spec as PlacementSpec, spec);
    if (repriced) {
      spec.planId = (before.spec as PlacementSpec).planId;
      spec.moves = (before.spec as PlacementSpec).moves;
    }
    if (changedPlacement || !before || repriced) {
      const history = (before?.status as { history?: unknown[] } | null)?.history ?? [];
      ops.push({
        op: "put",
        input: {
          ...key,
          labels: { "qonnect.io/app": name },
          spec,
          status: {
            history: repriced
              ? history
              : [
                  ...history.slice(-9),
                  { planId, tsMs: now, replicas: spec.placements.length, objective: a.plan.totals.objective },
                ],
          },
        },
      });
    }
    const phase = phaseOf(a, now);
    ops.push(
      StatusWriter.op(
        { kind: a.entry.resource.kind, namespace: ns, name },
        {
          phase,
          placed: spec.placements.length,
          planId: changedPlacement ? planId : ((before?.spec as PlacementSpec | undefined)?.planId ?? planId),
          problems: a.plan.problems,
          ...(a.job
            ? {
                startMs: a.job.startMs,
                endMs: a.job.endMs,
                carbonG: a.job.carbonG,
                nowCarbonG: a.job.nowCarbonG,
                carbonSavedG: a.job.savingG,
                ...(a.job.startOptions ? { startOptions: a.job.startOptions } : {}),
              }
            : {}),
        },
      ),
    );
    const object = `${a.entry.resource.kind === "Job" ? "jobs" : "applications"}/${name}`;
    if (!a.plan.feasible)
      ops.push(
        ctx.events.op({
          type: "Warning",
          reason: "Infeasible",
          message: a.plan.problems.join("; ") || "no feasible placement",
          object,
        }),
      );
    else if (changedPlacement) {
      const starts = a.plan.moves.filter((m) => m.op === "start");
      const wasPlaced = prevPlacements !== "[]";
      const why = [...new Set(a.plan.moves.map((m) => m.why))].join(", ");
      ops.push(
        ctx.events.op({
          type: "Normal",
          reason: wasPlaced ? "Moved" : "Planned",
          message: wasPlaced
            ? `${starts.length} replica(s) moved (${why || "re-plan"}): ${starts
                .slice(0, 5)
                .map((m) => `${m.service}/${m.replica} → ${m.device}`)
                .join(", ")}`
            : `${spec.placements.length} replica(s) placed: ${spec.placements
                .slice(0, 5)
                .map((p) => `${p.service}/${p.replica} → ${p.device}`)
                .join(", ")}`,
          object,
        }),
      );
    }
    groups.push({ nowMs: now, ops });
    // a first placement has no moves from the planner: every replica is a start
    const moves =
      a.plan.moves.length || prevPlacements !== "[]"
        ? a.plan.moves
        : a.plan.placements.map((p, i) => ({ step: i + 1, op: "start" as const, ...p, why: "new" }));
    for (const m of moves) {
      const region = regionOf(m.device);
      const list = movesByRegion.get(region) ?? [];
      list.push({
        planVersion: 0,
        app: name,
        service: m.service,
        replica: m.replica,
        fromDevice: m.op === "stop" ? m.device : "",
        toDevice: m.op === "start" ? m.device : "",
        reason: m.why,
        tsMs: now,
        origin: "kb",
      });
      movesByRegion.set(region, list);
    }
  }
  if (fullRound) {
    // placements of applications that are gone
    const live = new Set(result.apps.map((a) => `${a.entry.resource.namespace}/${a.entry.app.name}`));
    for (const p of ctx.placements())
      if (!live.has(`${p.namespace}/${p.name}`))
        groups.push({ nowMs: now, ops: [{ op: "delete", key: p, ifPresent: true }] });
  }
  await Promise.all(groups.map((g) => ctx.store.commit(g).catch(() => {})));
  return movesByRegion;
}
