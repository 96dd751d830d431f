import type { Application, Inventory } from "@qonnect/core";
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
  const services = new Map(app.services.map((s) => [s.name, s]));
  const byDevice = new Map<string, PlacementEntry[]>();
  for (const p of placements) byDevice.set(p.device, [...(byDevice.get(p.device) ?? []), p]);
  return {
    ...inventory,
    devices: inventory.devices.map((d) => {
      const here = byDevice.get(d.name);
      if (!here) return d;
      const next = { ...d };
      let addedW = 0;
      for (const p of here) {
        const s = services.get(p.service);
        if (!s || p.app !== app.name) continue;
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
