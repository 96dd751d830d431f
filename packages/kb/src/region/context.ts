// What a region is sent with its plan (DESIGN.md §5): its part of the inventory, its applications with their
// share of each application's limits, and the latest signals of its zones.
import { API_VERSION, type InventoryManifest } from "@qonnect/core";
import type { fogV1 } from "@qonnect/proto";
import { mergeInventories, type World } from "../planning/world.js";
import type { StoredResource } from "../store/store.js";

export function regionContext(
  world: World,
  region: string,
  inventories: readonly StoredResource[],
  placements: readonly { app: string; region: string }[],
  nowMs: number,
): fogV1.RegionContext {
  const merged = mergeInventories(inventories);
  const sites = (merged?.spec.sites ?? []).filter((s) => s.region === region);
  const siteNames = new Set(sites.map((s) => s.name));
  const zones = new Set(sites.map((s) => s.zone));
  const inventory: InventoryManifest | undefined = merged && {
    ...merged,
    metadata: { name: region },
    spec: {
      zones: merged.spec.zones.filter((z) => zones.has(z.name)),
      sites,
      latencies: merged.spec.latencies.filter((l) => siteNames.has(l.from) || siteNames.has(l.to)),
      devices: merged.spec.devices.filter((d) => siteNames.has(d.site)),
    },
  };
  const total = new Map<string, number>();
  const here = new Map<string, number>();
  for (const p of placements) {
    total.set(p.app, (total.get(p.app) ?? 0) + 1);
    if (p.region === region) here.set(p.app, (here.get(p.app) ?? 0) + 1);
  }
  const applications: fogV1.RegionApplication[] = [];
  for (const a of world.apps) {
    const n = here.get(a.app.name);
    if (!n) continue;
    const share = n / (total.get(a.app.name) ?? n);
    applications.push({
      name: a.app.name,
      manifestJson: JSON.stringify({
        apiVersion: API_VERSION,
        kind: a.resource.kind,
        metadata: { name: a.resource.name, namespace: a.resource.namespace },
        spec: a.resource.spec,
      }),
      maxCostPerHour: (a.app.limits.maxCostPerHour ?? 0) * share,
      maxPowerW: (a.app.limits.maxPowerW ?? 0) * share,
    });
  }
  return {
    inventoryJson: inventory ? JSON.stringify(inventory) : "",
    applications,
    signals: world.inventory.zones
      .filter((z) => zones.has(z.name))
      .map((z) => ({
        zone: z.name,
        intensityGPerKwh: z.intensityGPerKWh,
        pricePerKwh: z.pricePerKWh,
        tsMs: nowMs,
      })),
  };
}
