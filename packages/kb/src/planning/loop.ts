// The planning loop: when desired state or the world changes, plan with @qonnect/planner from the current
// placement (hysteresis), record the outcome, and send each region its part. Rounds run one at a time;
// triggers that arrive meanwhile are merged into the next round. Only the holder of the store's lease plans.
import type { fogV1 } from "@qonnect/proto";
import type { EventLog } from "../api/event-log.js";
import type { KbMetrics } from "../metrics.js";
import { RegionDispatcher } from "../region/dispatch.js";
import type { FogClient } from "../region/fog-client.js";
import type { Store } from "../store/store.js";
import { type JobDecision, planAll } from "./plan-all.js";
import { recordRound } from "./record.js";
import { forecastOf, valuesAt } from "./signals.js";
import { StatusWriter } from "./status-writer.js";
import { listAll, loadSignals, type PlacementSpec } from "./world.js";
import { WorldCache } from "./world-cache.js";

export interface PlanningLoopOptions {
  store: Store;
  events: EventLog;
  metrics: KbMetrics;
  fog: FogClient;
  nowMs: () => number;
  /** Wait this long after a trigger for more (ms). Default 20. */
  debounceMs?: number;
  /** Retry an unreachable region after (ms). Default 2000. */
  retryMs?: number;
  /** Re-read signals this often and re-plan when they changed (ms). Default 5000. */
  tickMs?: number;
  /** Heuristic effort per application in incremental rounds. Default 5000. */
  maxEvaluations?: number;
  onPlanSent?: (region: string, req: fogV1.ApplyPlanRequest, res: fogV1.ApplyPlanResponse) => void;
}

export class PlanningLoop {
  readonly status: StatusWriter;
  readonly dispatcher: RegionDispatcher;
  /** The world, followed from the change log (also serves dry runs). */
  readonly cache: WorldCache;
  #dirty: Set<string> | "all" = new Set();
  #reasons = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;
  #jobTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #round = 0;
  #signalKey = "";
  /** Whether the last round held the planning lease (another server plans otherwise). */
  #leader = true;

  constructor(readonly o: PlanningLoopOptions) {
    this.status = new StatusWriter(o.store, o.nowMs);
    this.cache = new WorldCache(o.store);
    this.dispatcher = new RegionDispatcher({
      store: o.store,
      events: o.events,
      status: this.status,
      cache: this.cache,
      fog: o.fog,
      metrics: o.metrics,
      nowMs: o.nowMs,
      hooks: {
        movedOn: async (region, state) => {
          if (state) await this.adoptRegion(region, state.placements, "the region re-planned locally");
        },
        unreachable: () => {
          setTimeout(() => this.trigger("all", "retry unreachable region"), this.o.retryMs ?? 2000).unref();
        },
        ...(o.onPlanSent ? { sent: o.onPlanSent } : {}),
      },
    });
  }

  start(): void {
    this.trigger("all", "start");
    this.#tick = setInterval(() => this.#checkSignals().catch(() => {}), this.o.tickMs ?? 5000);
    this.#tick.unref();
  }

  /** Re-plan `app` (or everything) soon, for `reason`. */
  trigger(app: string | "all", reason: string): void {
    if (this.#closed) return;
    if (app === "all" || this.#dirty === "all") this.#dirty = "all";
    else this.#dirty.add(app);
    this.#reasons.add(reason);
    if (this.#timer || this.#running) return;
    this.#timer = setTimeout(() => this.#run(), this.o.debounceMs ?? 20);
  }

  #run(): void {
    this.#timer = undefined;
    const dirty = this.#dirty;
    const reasons = [...this.#reasons];
    this.#dirty = new Set();
    this.#reasons.clear();
    this.#running = this.round(dirty, reasons)
      .catch((err) => {
        this.o.metrics.plans.inc({ outcome: "error" });
        return this.o.events
          .record({
            type: "Warning",
            reason: "PlanFailed",
            message: `planning failed: ${(err as Error).message}`,
            object: "",
          })
          .then(() => {});
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#dirty === "all" || this.#dirty.size)
          this.#timer = setTimeout(() => this.#run(), this.o.debounceMs ?? 20);
      });
  }

  /** One planning round; exposed for tests. */
  async round(dirty: Set<string> | "all", reasons: string[]): Promise<void> {
    this.#leader = await this.o.store.tryLease();
    if (!this.#leader) return;
    const started = performance.now();
    const now = this.o.nowMs();
    await this.cache.refresh();
    const world = this.cache.world(now);
    const jobStarts = new Map<string, JobDecision>();
    for (const a of world.apps) {
      const s = a.resource.status as (Partial<JobDecision> & { startMs?: number }) | null;
      if (a.app.job && s?.startMs && s.endMs)
        jobStarts.set(a.app.name, {
          startMs: s.startMs,
          endMs: s.endMs,
          carbonG: s.carbonG ?? 0,
          nowCarbonG: s.nowCarbonG ?? 0,
          savingG: (s as { carbonSavedG?: number }).carbonSavedG ?? 0,
          ...(s.startOptions ? { startOptions: s.startOptions } : {}),
        });
    }
    const fallback = Object.fromEntries(world.inventory.zones.map((z) => [z.name, z.intensityGPerKWh]));
    const full = dirty === "all";
    const result = await planAll(world, {
      nowMs: now,
      explain: true,
      forecast: forecastOf(world.signals, fallback),
      jobStarts,
      // an incremental round places a few applications among many: bounded effort keeps it quick
      ...(full ? {} : { only: dirty, maxEvaluations: this.o.maxEvaluations ?? 5000 }),
    });
    this.#signalKey = JSON.stringify([
      ...valuesAt(world.signals, now).intensityGPerKWh,
      ...valuesAt(world.signals, now).pricePerKWh,
    ]);
    const planId = `round-${++this.#round}`;
    const ctx = {
      store: this.o.store,
      events: this.o.events,
      nowMs: this.o.nowMs,
      placement: (ns: string, name: string) => this.cache.get("Placement", ns, name),
      placements: () => this.cache.list("Placement"),
    };
    const regionOf = (d: string) => world.regionOfDevice.get(d) ?? "";
    const moves = await recordRound(ctx, result, regionOf, planId, full, reasons);
    if (!full) {
      const known = new Set(world.apps.map((a) => a.app.name));
      const gone = [...dirty].filter((name) => !known.has(name));
      if (gone.length)
        await this.o.store
          .commit({
            nowMs: now,
            ops: gone.map((name) => ({
              op: "delete" as const,
              key: { kind: "Placement", namespace: "default", name },
              ifPresent: true,
            })),
          })
          .catch(() => {});
    }
    await this.status.idle();
    await this.dispatcher.dispatch(world, result, moves);
    this.o.metrics.plans.inc({ outcome: result.feasible ? "feasible" : "infeasible" });
    this.o.metrics.planSeconds.observe((performance.now() - started) / 1000);
    this.#scheduleJobs(
      world.apps
        .map((a) => jobStarts.get(a.app.name) ?? result.apps.find((x) => x.entry === a)?.job)
        .filter((j): j is JobDecision => Boolean(j)),
      reasons,
    );
  }

  /** Wakes the loop at the next job start or end. */
  #scheduleJobs(jobs: JobDecision[], _reasons: string[]): void {
    const now = this.o.nowMs();
    const next = Math.min(...jobs.flatMap((j) => [j.startMs, j.endMs]).filter((t) => t > now));
    if (this.#jobTimer) clearTimeout(this.#jobTimer);
    if (!Number.isFinite(next)) return;
    this.#jobTimer = setTimeout(
      () => this.trigger("all", "a job's start or end time arrived"),
      Math.min(next - now + 5, 2 ** 31 - 1),
    );
    this.#jobTimer.unref();
  }

  async #checkSignals(): Promise<void> {
    if (!this.#leader && (await this.o.store.tryLease())) {
      this.#leader = true;
      this.trigger("all", "took over the planning lease");
      return;
    }
    await this.cache.refresh();
    const signals = this.cache.list("Signal");
    if (!signals.length) return;
    const loaded = loadSignals(signals);
    const v = valuesAt(loaded, this.o.nowMs());
    const key = JSON.stringify([...v.intensityGPerKWh, ...v.pricePerKWh]);
    if (key !== this.#signalKey) this.trigger("all", "a carbon or price signal changed");
  }

  /** Takes a region's own placement as the current one for every application it runs (a local re-plan),
   * then re-plans those applications from there. */
  async adoptRegion(region: string, placements: readonly fogV1.Placement[], why: string): Promise<void> {
    const now = this.o.nowMs();
    const apps = new Set(placements.map((p) => p.app));
    for (const p of await listAll(this.o.store, "Placement")) {
      const spec = p.spec as PlacementSpec;
      if (spec.placements.some((e) => e.region === region)) apps.add(p.name);
    }
    for (const app of apps) {
      const key = { kind: "Placement", namespace: "default", name: app };
      const r = await this.o.store.get(key);
      const spec = (r?.spec as PlacementSpec | undefined) ?? {
        app,
        kind: "Application",
        feasible: true,
        placements: [],
        totals: {},
        moves: [],
        problems: [],
        planId: "",
      };
      const next = [
        ...spec.placements.filter((e) => e.region !== region),
        ...placements
          .filter((p) => p.app === app)
          .map((p) => ({ app, service: p.service, replica: p.replica, device: p.device, region })),
      ];
      await this.o.store.put(
        {
          ...key,
          labels: r?.labels ?? { "qonnect.io/app": app },
          spec: { ...spec, placements: next, planId: `adopted-${region}` },
          ...(r ? {} : { status: {} }),
        },
        { nowMs: now },
      );
      await this.o.events.record({
        type: "Normal",
        reason: "Reconciled",
        message: `adopted region ${region}'s placement of ${app} (${why})`,
        object: `applications/${app}`,
      });
      this.trigger(app, why);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of [this.#timer, this.#tick, this.#jobTimer]) if (t) clearTimeout(t);
    clearInterval(this.#tick);
    await this.#running;
  }
}
