import type { Application, Inventory, Service } from "@qonnect/core";
import { replicaEnergyW } from "./objectives.js";
import type { PlacementEntry } from "./types.js";

/**
 * The inventory as the next application sees it once `placements` of `app` run: their cores, memory and GPUs
 * count as used, and their added power first uses up each device's solar excess. Applications planned one
 * after another go through this.
 */
export function withPlacements(
  inventory: Inventory,
  app: Application,
  placements: readonly PlacementEntry[],
): Inventory {
  return reserveAll(inventory, new Map([[app.name, app]]), placements);
}

/** `withPlacements` for many applications at once: one pass over the devices, not one per application.
 * Placements of applications not in `apps` are left out. */
export function reserveAll(
  inventory: Inventory,
  apps: ReadonlyMap<string, Application>,
  placements: readonly PlacementEntry[],
): Inventory {
  const byDevice = new Map<string, PlacementEntry[]>();
  for (const p of placements) {
    const list = byDevice.get(p.device);
    if (list) list.push(p);
    else byDevice.set(p.device, [p]);
  }
  const services = new Map<string, Service>();
  for (const a of apps.values()) for (const s of a.services) services.set(`${a.name}/${s.name}`, s);
  return {
    ...inventory,
    devices: inventory.devices.map((d) => {
      const here = byDevice.get(d.name);
      if (!here) return d;
      const next = { ...d };
      let addedW = 0;
      for (const p of here) {
        const s = services.get(`${p.app}/${p.service}`);
        if (!s) continue;
        addedW += replicaEnergyW(s, next);
        next.usedCpuCores += s.cpuCores;
        next.usedMemoryBytes += s.memoryBytes;
        next.usedGpus += s.gpus;
      }
      next.solarExcessW = Math.max(0, d.solarExcessW - addedW);
      return next;
    }),
  };
}
