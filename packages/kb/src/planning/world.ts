// The world the planner sees, read from the store: the declared inventories merged, overridden by what
// the regions report live (verdicts, battery, solar) and by the current signals; the applications and jobs;
// where every replica runs now.
import {
  API_VERSION,
  type Application,
  type ApplicationManifest,
  type Inventory,
  type InventoryManifest,
  type JobManifest,
  LatencyTable,
  toApplication,
  toInventory,
} from "@qonnect/core";
import type { PlacementEntry, Replan } from "@qonnect/planner";
import type { Store, StoredResource } from "../store/store.js";
import { type LoadedSignal, loadSignal, valuesAt } from "./signals.js";

export async function listAll(store: Store, kind: string): Promise<StoredResource[]> {
  const out: StoredResource[] = [];
  let token = "";
  do {
    const page = await store.list(kind, { pageSize: 1000, pageToken: token });
    out.push(...page.items);
    token = page.nextPageToken;
  } while (token);
  return out;
}

/** What a Device resource's status holds (written from region summaries). */
export interface DeviceStatus {
  verdict: string;
  verdictReason?: string;
  lastSeenMs?: number;
  powerW?: number;
  soc?: number;
  solarExcessW?: number;
  cpuUtil?: number;
  energyWh?: number;
  solarEnergyWh?: number;
  carbonG?: number;
  cost?: number;
}

export interface ReplanTotals {
  carbonGPerH: number;
  energyW: number;
  costPerHour: number;
  objective: number;
}

export interface PlacementSpec {
  app: string;
  kind: "Application" | "Job";
  feasible: boolean;
  placements: (PlacementEntry & { region: string })[];
  totals: Record<string, number>;
  moves: unknown[];
  problems: string[];
  explanation?: unknown;
  /** A re-plan from a current placement: the trigger, what staying put would cost now against the plan, and
   * the gain a voluntary move of one replica must show (objective units). */
  replan?: {
    reasons: string[];
    moved: number;
    kept: number;
    /** Each moved replica's gain (objective, migration not included) and carbon on the old and new device. */
    moves: Replan["moves"];
    stay: ReplanTotals;
    after: ReplanTotals;
    migrationPerReplica: number;
    hysteresisPerReplica: number;
    thresholdPerReplica: number;
  };
  planId: string;
  job?: { startMs: number; carbonG: number; nowCarbonG: number; savingG: number; endMs: number };
}

export interface AppEntry {
  resource: StoredResource;
  app: Application;
}

export interface World {
  inventory: Inventory;
  apps: AppEntry[];
  current: PlacementEntry[];
  signals: LoadedSignal[];
  regionOfDevice: Map<string, string>;
}

export function appOf(r: StoredResource): Application {
  const manifest = { apiVersion: API_VERSION, kind: r.kind, metadata: { name: r.name }, spec: r.spec } as
    | ApplicationManifest
    | JobManifest;
  return toApplication(manifest, () => r.createTimeMs);
}

/** Merges every Inventory (later names override earlier ones) into one manifest. */
export function mergeInventories(items: readonly StoredResource[]): InventoryManifest | undefined {
  if (items.length === 0) return undefined;
  const byName = <T extends { name: string }>(lists: T[][]) => [
    ...new Map(lists.flat().map((x) => [x.name, x])).values(),
  ];
  const specs = items.map((r) => r.spec as InventoryManifest["spec"]);
  return {
    apiVersion: API_VERSION,
    kind: "Inventory",
    metadata: { name: "live" },
    spec: {
      zones: byName(specs.map((s) => s.zones ?? [])),
      sites: byName(specs.map((s) => s.sites ?? [])),
      latencies: specs.flatMap((s) => s.latencies ?? []),
      devices: byName(specs.map((s) => s.devices ?? [])),
    },
  } as InventoryManifest;
}

/**
 * Verdicts under which a device keeps what it hosts. An unreachable device (cut off with its site, DESIGN.md §5)
 * counts: its region's fog leader waits out the application's partition grace and re-places locally after it,
 * and the Knowledge Base reconciles from the region's plan. Planning it away at once would move workloads
 * during the grace (the HIL suite's network-cut test caught it).
 */
const ALIVE = new Set(["alive", "suspect", "unspecified", "unreachable"]);

/** The declared inventories merged and normalised (the part of the world that changes rarely). */
export function baseInventory(inventories: readonly StoredResource[]): Inventory {
  const merged = mergeInventories(inventories);
  return merged
    ? toInventory(merged)
    : { name: "empty", zones: [], sites: [], devices: [], latency: new LatencyTable([], []) };
}

/** Loads the signals that can be read (a signal whose trace cannot be read is skipped: its apply recorded
 * the problem). */
export function loadSignals(items: readonly StoredResource[]): LoadedSignal[] {
  return items.flatMap((s) => {
    try {
      return [loadSignal(s)];
    } catch {
      return [];
    }
  });
}

/** Applications and jobs that normalise (validated on apply; a stored spec that no longer does is skipped). */
export function appEntries(items: readonly StoredResource[]): AppEntry[] {
  return items.flatMap((r) => {
    try {
      return [{ resource: r, app: appOf(r) }];
    } catch {
      return [];
    }
  });
}

/** The world from its parts: the base inventory overridden by the live devices and the current signals. */
export function assembleWorld(
  base: Inventory,
  devices: Iterable<StoredResource>,
  signals: LoadedSignal[],
  apps: AppEntry[],
  placements: Iterable<StoredResource>,
  nowMs: number,
): World {
  const values = valuesAt(signals, nowMs);
  const live = new Map<string, DeviceStatus | null>();
  for (const d of devices) live.set(d.name, d.status as DeviceStatus | null);
  const inventory: Inventory = {
    ...base,
    zones: base.zones.map((z) => ({
      ...z,
      intensityGPerKWh: values.intensityGPerKWh.get(z.name) ?? z.intensityGPerKWh,
      pricePerKWh: values.pricePerKWh.get(z.name) ?? z.pricePerKWh,
    })),
    devices: base.devices.map((d) => {
      const s = live.get(d.name);
      const solar = values.solarW.get(d.site);
      if (!s && solar === undefined) return d;
      const next = { ...d };
      if (solar !== undefined) next.solarExcessW = solar;
      if (s) {
        next.alive = d.alive && ALIVE.has(s.verdict);
        if (s.solarExcessW !== undefined && solar === undefined) next.solarExcessW = s.solarExcessW;
        if (s.soc !== undefined && d.battery) next.battery = { ...d.battery, soc: s.soc };
      }
      return next;
    }),
  };
  const current: PlacementEntry[] = [];
  for (const p of placements)
    for (const { app, service, replica, device } of (p.spec as PlacementSpec | null)?.placements ?? [])
      current.push({ app, service, replica, device });
  const regionOfDevice = new Map(inventory.devices.map((d) => [d.name, d.region]));
  return { inventory, apps, current, signals, regionOfDevice };
}

/** The world read from the store in full (the dry run without a planning loop; the cache's first load). */
export async function loadWorld(store: Store, nowMs: number): Promise<World> {
  const [inventories, devices, signals, applications, jobs, placements] = await Promise.all([
    listAll(store, "Inventory"),
    listAll(store, "Device"),
    listAll(store, "Signal"),
    listAll(store, "Application"),
    listAll(store, "Job"),
    listAll(store, "Placement"),
  ]);
  return assembleWorld(
    baseInventory(inventories),
    devices,
    loadSignals(signals),
    appEntries([...applications, ...jobs]),
    placements,
    nowMs,
  );
}
