// Region summaries (NATS `qonnect.<region>.summary`, possibly in numbered parts) → the live inventory
// (Device and Region resources), events on verdict changes, reconciliation of local re-plans, accounting
// per device, application and region, and device time series. Bad messages are dropped and counted.
import { fogV1 } from "@qonnect/proto";
import { type ConnectionOptions, connect, type NatsConnection, type Subscription } from "nats";
import { accountDelta, addTotals, type DeviceCounters, type Tariff, type Totals } from "../accounting.js";
import type { EventLog } from "../api/event-log.js";
import type { KbMetrics } from "../metrics.js";
import type { PlanningLoop } from "../planning/loop.js";
import type { StatusWriter } from "../planning/status-writer.js";
import { loadWorld } from "../planning/world.js";
import type { Sample, Store } from "../store/store.js";

const VERDICT: Record<number, string> = {
  0: "unspecified",
  1: "alive",
  2: "suspect",
  3: "dead",
  4: "unreachable",
};
const MAX_PARTS = 256;

export interface SummaryConsumerOptions {
  store: Store;
  events: EventLog;
  status: StatusWriter;
  metrics: KbMetrics;
  loop: PlanningLoop;
  nowMs: () => number;
  /** Rewrite a Device resource at most this often unless its verdict changed (ms). Default 5000. */
  deviceWriteMs?: number;
  /** One series sample per device at most this often (ms). Default 10000. */
  sampleEveryMs?: number;
  /** State of charge below which a device's battery counts as low (re-plan on crossing). Default 0.3. */
  batteryFloor?: number;
  /** Solar excess above which a device counts as having surplus power (re-plan on crossing). Default 1 W. */
  solarThresholdW?: number;
  /** Accounting totals are written this often (ms). Default 2000. */
  flushMs?: number;
}

interface DeviceMemo {
  verdict: string;
  /** Battery below the floor placements use (minBatterySoc is commonly 0.3), solar excess present. */
  lowBattery: boolean;
  solar: boolean;
  counters: DeviceCounters;
  totals: Totals;
  lastWriteMs: number;
  lastSampleMs: number;
}

export class SummaryConsumer {
  #nc: NatsConnection | undefined;
  #sub: Subscription | undefined;
  #parts = new Map<string, { at: number; parts: (fogV1.RegionSummary | undefined)[] }>();
  #devices = new Map<string, DeviceMemo>();
  #apps = new Map<string, Totals>();
  #regions = new Map<string, Totals>();
  #dirtyTotals = new Set<string>();
  /** Totals whose stored value was already added to the one in memory (after a restart). */
  #based = new Set<string>();
  #tariffs = new Map<string, Tariff>();
  #tariffsAt = 0;
  #queue: Promise<void> = Promise.resolve();
  #flush: NodeJS.Timeout | undefined;

  constructor(readonly o: SummaryConsumerOptions) {}

  /** `secured`: nats.js options from the kb bundle (TLS, CA pinned, JWT creds); plaintext without. */
  async start(servers: string[], secured: ConnectionOptions = {}): Promise<void> {
    this.#nc = await connect({ ...secured, servers, name: "qonnect-kb", maxReconnectAttempts: -1 });
    this.#sub = this.#nc.subscribe("qonnect.*.summary", {
      callback: (err, msg) => {
        if (err) return;
        this.receive(msg.data);
      },
    });
    this.#flush = setInterval(() => this.#flushTotals().catch(() => {}), this.o.flushMs ?? 2000);
    this.#flush.unref();
  }

  /** One message off the wire. Never throws. */
  receive(data: Uint8Array): void {
    let s: fogV1.RegionSummary;
    try {
      s = fogV1.RegionSummary.decode(data);
      if (!s.region || s.parts < 1 || s.parts > MAX_PARTS || s.part < 1 || s.part > s.parts)
        throw new Error("bad part");
    } catch {
      this.o.metrics.summaries.inc({ outcome: "dropped" });
      return;
    }
    const whole = this.#assemble(s);
    if (!whole) return;
    this.#queue = this.#queue.then(() =>
      this.process(whole).then(
        () => this.o.metrics.summaries.inc({ outcome: "applied" }),
        () => this.o.metrics.summaries.inc({ outcome: "dropped" }),
      ),
    );
  }

  #assemble(s: fogV1.RegionSummary): fogV1.RegionSummary | undefined {
    if (s.parts === 1) return s;
    const now = this.o.nowMs();
    for (const [k, v] of this.#parts) if (now - v.at > 60_000) this.#parts.delete(k);
    const key = `${s.region}/${s.seq}`;
    const entry = this.#parts.get(key) ?? { at: now, parts: new Array(s.parts).fill(undefined) };
    entry.parts[s.part - 1] = s;
    this.#parts.set(key, entry);
    if (entry.parts.some((p) => !p)) return undefined;
    this.#parts.delete(key);
    const first = entry.parts[0]!;
    return { ...first, part: 1, parts: 1, devices: entry.parts.flatMap((p) => p!.devices) };
  }

  async #tariff(device: string): Promise<Tariff> {
    const now = this.o.nowMs();
    if (now - this.#tariffsAt > 5000) {
      const world = await loadWorld(this.o.store, now);
      const zones = new Map(world.inventory.zones.map((z) => [z.name, z]));
      this.#tariffs = new Map(
        world.inventory.devices.map((d) => [
          d.name,
          {
            intensityGPerKWh: zones.get(d.zone)?.intensityGPerKWh ?? 0,
            pricePerKWh: zones.get(d.zone)?.pricePerKWh ?? 0,
            pricePerHour: d.pricePerHour,
          },
        ]),
      );
      this.#tariffsAt = now;
    }
    return this.#tariffs.get(device) ?? { intensityGPerKWh: 0, pricePerKWh: 0, pricePerHour: 0 };
  }

  /** Applies one whole summary. */
  async process(s: fogV1.RegionSummary): Promise<void> {
    const now = this.o.nowMs();
    const store = this.o.store;
    const regionKey = { kind: "Region", namespace: "default", name: s.region };
    let region = await store.get(regionKey);
    if (!region)
      region = (await store.put({ ...regionKey, spec: { fogLeads: [] }, status: {} }, { nowMs: now }))
        .resource;
    const counts: Record<string, number> = {};
    for (const d of s.devices)
      counts[VERDICT[d.verdict] ?? "unspecified"] = (counts[VERDICT[d.verdict] ?? "unspecified"] ?? 0) + 1;
    await this.o.status.merge(regionKey, {
      leaderId: s.leaderId,
      term: s.term,
      lastSummaryMs: now,
      summaryPlanVersion: s.planVersion,
      devices: s.devices.length,
      verdicts: counts,
    });

    // reconcile a local re-plan made while we were away (or since our last plan)
    const track = this.o.loop.dispatcher.track(s.region, (region.status ?? {}) as object);
    if (s.planVersion > track.planVersion && s.planId !== track.planId) {
      track.planVersion = s.planVersion;
      track.planId = s.planId;
      track.sentKey = "";
      await this.o.loop.adoptRegion(
        s.region,
        s.placements,
        "the region re-planned locally while the Knowledge Base was away",
      );
    } else if (s.planId === track.planId) track.planVersion = Math.max(track.planVersion, s.planVersion);

    const appsOn = new Map<string, string[]>();
    for (const p of s.placements) appsOn.set(p.device, [...(appsOn.get(p.device) ?? []), p.app]);
    const samples: Sample[] = [];
    let replan = false;
    for (const d of s.devices) {
      const verdict = VERDICT[d.verdict] ?? "unspecified";
      let memo = this.#devices.get(d.name);
      if (!memo) {
        const stored = await store.get({ kind: "Device", namespace: "default", name: d.name });
        const st = (stored?.status ?? {}) as Partial<Totals & { verdict: string }>;
        memo = {
          verdict: st.verdict ?? "",
          lowBattery: false,
          solar: false,
          counters: { energyWh: d.energyWh, solarEnergyWh: d.solarEnergyWh, tsMs: Number(s.tsMs) },
          totals: { energyWh: st.energyWh ?? 0, carbonG: st.carbonG ?? 0, cost: st.cost ?? 0 },
          lastWriteMs: 0,
          lastSampleMs: 0,
        };
        this.#devices.set(d.name, memo);
      }
      const next = { energyWh: d.energyWh, solarEnergyWh: d.solarEnergyWh, tsMs: Number(s.tsMs) };
      const delta = accountDelta(memo.counters, next, await this.#tariff(d.name));
      memo.counters = next;
      memo.totals = addTotals(memo.totals, delta);
      const apps = appsOn.get(d.name) ?? [];
      for (const app of apps) {
        this.#apps.set(app, addTotals(this.#apps.get(app), delta, 1 / apps.length));
        this.#dirtyTotals.add(`a/${app}`);
      }
      this.#regions.set(s.region, addTotals(this.#regions.get(s.region), delta));
      this.#dirtyTotals.add(`r/${s.region}`);
      const changed = verdict !== memo.verdict;
      if (changed && memo.verdict) {
        replan = true;
        const reason =
          {
            dead: "DeviceDead",
            unreachable: "DeviceUnreachable",
            suspect: "DeviceSuspect",
            alive: "DeviceAlive",
          }[verdict] ?? "DeviceVerdict";
        await this.o.events.record({
          type: verdict === "alive" ? "Normal" : "Warning",
          reason,
          message: `device ${d.name} in ${s.region}: ${memo.verdict} → ${verdict}${d.verdictReason ? ` (${d.verdictReason})` : ""}`,
          object: `devices/${d.name}`,
        });
      }
      memo.verdict = verdict;
      // a battery crossing its floor or solar excess appearing or going re-plans (DESIGN.md §4)
      const lowBattery = d.battery !== undefined && d.battery.soc < (this.o.batteryFloor ?? 0.3);
      const solar = d.solarExcessW > (this.o.solarThresholdW ?? 1);
      const crossed = lowBattery !== memo.lowBattery || solar !== memo.solar;
      if (crossed) replan = true;
      memo.lowBattery = lowBattery;
      memo.solar = solar;
      // the re-plan this triggers reads the Device resource: a crossing is written now, like a verdict
      if (changed || crossed || now - memo.lastWriteMs >= (this.o.deviceWriteMs ?? 5000)) {
        memo.lastWriteMs = now;
        await store.put(
          {
            kind: "Device",
            namespace: "default",
            name: d.name,
            labels: { "qonnect.io/region": s.region, ...(d.site ? { "qonnect.io/site": d.site } : {}) },
            spec: { region: s.region, site: d.site, tier: d.tier, arch: d.arch },
            status: {
              verdict,
              verdictReason: d.verdictReason,
              lastSeenMs: Number(d.lastSeenMs),
              powerW: d.powerW,
              ...(d.battery ? { soc: d.battery.soc } : {}),
              solarExcessW: d.solarExcessW,
              cpuUtil: d.cpuUtil,
              ...(d.memoryTotalBytes > 0
                ? { memoryUsedBytes: d.memoryUsedBytes, memoryTotalBytes: d.memoryTotalBytes }
                : {}),
              workloads: d.workloads.length,
              ...memo.totals,
            },
          },
          { nowMs: now },
        );
      }
      if (now - memo.lastSampleMs >= (this.o.sampleEveryMs ?? 10_000)) {
        memo.lastSampleMs = now;
        samples.push({
          device: d.name,
          tsMs: Number(s.tsMs),
          powerW: d.powerW,
          energyWh: memo.totals.energyWh,
          solarEnergyWh: d.solarEnergyWh,
          carbonG: memo.totals.carbonG,
          cost: memo.totals.cost,
          soc: d.battery ? d.battery.soc : null,
          solarExcessW: d.solarExcessW,
        });
      }
    }
    if (samples.length) await store.addSamples(samples);
    if (replan) this.o.loop.trigger("all", "a device's verdict, battery or solar excess changed");
  }

  async #flushTotals(): Promise<void> {
    const dirty = [...this.#dirtyTotals];
    this.#dirtyTotals.clear();
    for (const k of dirty) {
      const [kind, name] = [k.slice(0, 1), k.slice(2)];
      const map = kind === "a" ? this.#apps : this.#regions;
      let totals = map.get(name);
      if (!totals) continue;
      if (!this.#based.has(k)) {
        // continue from what a previous run of the server accounted
        this.#based.add(k);
        const stored =
          (await this.o.store.get({
            kind: kind === "a" ? "Application" : "Region",
            namespace: "default",
            name,
          })) ??
          (kind === "a" ? await this.o.store.get({ kind: "Job", namespace: "default", name }) : undefined);
        const before = (stored?.status as { accounting?: Totals } | null)?.accounting;
        if (before) totals = addTotals(before, totals);
        map.set(name, totals);
      }
      if (kind === "r")
        await this.o.status.merge({ kind: "Region", namespace: "default", name }, { accounting: totals });
      else
        for (const appKind of ["Application", "Job"])
          await this.o.status.merge({ kind: appKind, namespace: "default", name }, { accounting: totals });
    }
  }

  /** Waits until every received summary is applied (tests). */
  async idle(): Promise<void> {
    await this.#queue;
    await this.#flushTotals();
    await this.o.status.idle();
  }

  async close(): Promise<void> {
    if (this.#flush) clearInterval(this.#flush);
    this.#sub?.unsubscribe();
    await this.#queue;
    await this.#flushTotals().catch(() => {});
    await this.#nc?.close();
  }
}
