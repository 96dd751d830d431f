// Sends each region its part of the plan when it changed: through FogClient to the leader, with the region
// context, moves and reasons, idempotent by a plan id derived from the content and the base version. Keeps
// per region the version it is at (also in the Region's status, so a restarted server knows it).
import { createHash } from "node:crypto";
import type { fogV1 } from "@qonnect/proto";
import type { EventLog } from "../api/event-log.js";
import type { RegionSpec } from "../kinds.js";
import type { KbMetrics } from "../metrics.js";
import type { PlanAll } from "../planning/plan-all.js";
import type { StatusWriter } from "../planning/status-writer.js";
import type { World } from "../planning/world.js";
import type { WorldCache } from "../planning/world-cache.js";
import type { Store } from "../store/store.js";
import { regionContext } from "./context.js";
import { type FogClient, RegionMovedOnError, RegionUnreachableError } from "./fog-client.js";

export interface RegionTrack {
  planVersion: number;
  planId: string;
  sentKey: string;
  reachable: boolean;
}

export interface DispatchHooks {
  /** The region refused: it re-planned locally; its state is attached. */
  movedOn(region: string, state: fogV1.RegionState | undefined): Promise<void>;
  /** The region could not be reached; try again later. */
  unreachable(region: string): void;
  sent?(region: string, req: fogV1.ApplyPlanRequest, res: fogV1.ApplyPlanResponse): void;
}

export class RegionDispatcher {
  readonly tracks = new Map<string, RegionTrack>();

  constructor(
    readonly o: {
      store: Store;
      events: EventLog;
      status: StatusWriter;
      /** Regions and inventories as of the round's refresh. */
      cache: WorldCache;
      fog: FogClient;
      metrics: KbMetrics;
      nowMs: () => number;
      hooks: DispatchHooks;
    },
  ) {}

  track(region: string, status?: Partial<RegionTrack>): RegionTrack {
    let t = this.tracks.get(region);
    if (!t) {
      t = {
        planVersion: Number(status?.planVersion ?? 0),
        planId: String(status?.planId ?? ""),
        sentKey: String(status?.sentKey ?? ""),
        reachable: status?.reachable !== false,
      };
      this.tracks.set(region, t);
    }
    return t;
  }

  async dispatch(world: World, result: PlanAll, movesByRegion: Map<string, fogV1.PlanMove[]>): Promise<void> {
    const regions = this.o.cache.list("Region");
    const inventories = this.o.cache.list("Inventory");
    await Promise.all(
      regions.map(async (r) => {
        const spec = r.spec as RegionSpec;
        const t = this.track(r.name, (r.status ?? {}) as Partial<RegionTrack>);
        const placements = result.placements
          .filter((p) => p.region === r.name)
          .map(({ app, service, replica, device }) => ({ app, service, replica, device }))
          .sort((a, b) =>
            `${a.app}/${a.service}/${a.replica}`.localeCompare(`${b.app}/${b.service}/${b.replica}`),
          );
        const key = createHash("sha256").update(JSON.stringify(placements)).digest("hex").slice(0, 16);
        if (key === t.sentKey && t.reachable) return;
        const planId = `kb-${createHash("sha256").update(`${key}/${t.planVersion}`).digest("hex").slice(0, 16)}`;
        const req: fogV1.ApplyPlanRequest = {
          region: r.name,
          planId,
          basePlanVersion: t.planVersion,
          placements,
          context: regionContext(world, r.name, inventories, result.placements, this.o.nowMs()),
          moves: movesByRegion.get(r.name) ?? [],
          tsMs: this.o.nowMs(),
        };
        const name = { kind: "Region", namespace: r.namespace, name: r.name };
        try {
          const res = await this.o.fog.applyPlan(spec.fogLeads ?? [], req);
          const wasDown = !t.reachable;
          Object.assign(t, { planVersion: Number(res.planVersion), planId, sentKey: key, reachable: true });
          this.o.metrics.applyPlans.inc({
            region: r.name,
            outcome: res.duplicate ? "duplicate" : "committed",
          });
          await this.o.status.merge(name, { ...t, lastPlanSentMs: this.o.nowMs() });
          await this.o.events.record({
            type: "Normal",
            reason: wasDown ? "RegionReachable" : "PlanSent",
            message: `plan ${planId} (${placements.length} replicas) committed by region ${r.name} as version ${res.planVersion}${res.duplicate ? " (already had it)" : ""}`,
            object: `regions/${r.name}`,
          });
          this.o.hooks.sent?.(r.name, req, res);
        } catch (err) {
          if (err instanceof RegionMovedOnError) {
            this.o.metrics.applyPlans.inc({ region: r.name, outcome: "refused" });
            t.planVersion = err.planVersion;
            t.sentKey = "";
            await this.o.status.merge(name, { ...t });
            await this.o.events.record({
              type: "Warning",
              reason: "PlanRefused",
              message: `region ${r.name} re-planned locally (now at version ${err.planVersion}); re-planning from its placement`,
              object: `regions/${r.name}`,
            });
            await this.o.hooks.movedOn(r.name, err.state);
            return;
          }
          if (err instanceof RegionUnreachableError) {
            this.o.metrics.applyPlans.inc({ region: r.name, outcome: "unreachable" });
            if (t.reachable) {
              t.reachable = false;
              await this.o.status.merge(name, { reachable: false });
              await this.o.events.record({
                type: "Warning",
                reason: "RegionUnreachable",
                message: `${err.message}; the region keeps running and re-places locally; retrying`,
                object: `regions/${r.name}`,
              });
            }
            this.o.hooks.unreachable(r.name);
            return;
          }
          throw err;
        }
      }),
    );
  }
}
