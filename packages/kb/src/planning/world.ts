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
import type { PlacementEntry } from "@qonnect/planner";
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

export interface PlacementSpec {
  app: string;
  kind: "Application" | "Job";
  feasible: boolean;
  placements: (PlacementEntry & { region: string })[];
  totals: Record<string, number>;
  moves: unknown[];
  problems: string[];
  explanation?: unknown;
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

export async function loadWorld(store: Store, nowMs: number): Promise<World> {
  const [inventories, devices, signalRes, applications, jobs, placements] = await Promise.all([
    listAll(store, "Inventory"),
    listAll(store, "Device"),
    listAll(store, "Signal"),
    listAll(store, "Application"),
    listAll(store, "Job"),
    listAll(store, "Placement"),
  ]);
  const merged = mergeInventories(inventories);
  const signals: LoadedSignal[] = [];
  for (const s of signalRes) {
    try {
      signals.push(loadSignal(s));
    } catch {
      // a signal whose trace cannot be read is skipped (its apply recorded the problem)
    }
  }
  const values = valuesAt(signals, nowMs);
  let inventory: Inventory = merged
    ? toInventory(merged)
    : { name: "empty", zones: [], sites: [], devices: [], latency: new LatencyTable([], []) };
  const live = new Map(devices.map((d) => [d.name, d.status as DeviceStatus | null]));
  inventory = {
    ...inventory,
    zones: inventory.zones.map((z) => ({
      ...z,
      intensityGPerKWh: values.intensityGPerKWh.get(z.name) ?? z.intensityGPerKWh,
      pricePerKWh: values.pricePerKWh.get(z.name) ?? z.pricePerKWh,
    })),
    devices: inventory.devices.map((d) => {
      const s = live.get(d.name);
      const solar = values.solarW.get(d.site);
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
  const apps: AppEntry[] = [];
  for (const r of [...applications, ...jobs]) {
    try {
      apps.push({ resource: r, app: appOf(r) });
    } catch {
      // validated on apply; a stored spec that no longer normalises is skipped
    }
  }
  const current = placements.flatMap((p) =>
    ((p.spec as PlacementSpec | null)?.placements ?? []).map(({ app, service, replica, device }) => ({
      app,
      service,
      replica,
      device,
    })),
  );
  const regionOfDevice = new Map(inventory.devices.map((d) => [d.name, d.region]));
  return { inventory, apps, current, signals, regionOfDevice };
}
