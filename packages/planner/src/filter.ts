import type { Device, Inventory, Service } from "@qonnect/core";
import type { Reason } from "./types.js";

// The static half of the hard constraints: what one device offers one replica before anything else is
// placed. The dynamic half (capacity taken by other replicas, spread, call latency, application limits) is
// checked by the placement state as replicas land (state.ts).

/** Tolerance for comparing fractional cores and bytes. */
export const EPS = 1e-9;

/** Lowest state of charge at which a battery device still takes replicas of `service`. */
export function batteryFloor(service: Service, device: Device): number {
  return Math.max(service.placement.minBatterySoc ?? 0, device.battery?.minSoc ?? 0);
}

/** The first location reason (tier, region, site, users' latency) against devices at `site`. */
export function siteReason(
  service: Service,
  site: { name: string; tier: string; region: string },
  inventory: Inventory,
): Reason | undefined {
  const p = service.placement;
  if (p.tiers && !p.tiers.includes(site.tier as never)) return "tier";
  if (p.regions && !p.regions.includes(site.region)) return "region";
  if (p.sites && !p.sites.includes(site.name)) return "site";
  if (p.nearUsers && inventory.latency.ms(p.nearUsers.site, site.name) > p.nearUsers.maxLatencyMs + EPS)
    return "nearUsers";
  return undefined;
}

/** The first reason of the device itself (arch, labels, battery floor) or its free capacity. */
export function deviceReason(service: Service, device: Device): Reason | undefined {
  const p = service.placement;
  if (p.arch && !p.arch.includes(device.arch)) return "arch";
  if (p.labels) for (const [k, v] of Object.entries(p.labels)) if (device.labels[k] !== v) return "labels";
  if (device.battery && device.battery.soc < batteryFloor(service, device) - EPS) return "battery";
  if (device.gpus - device.usedGpus < service.gpus - EPS) return "gpu";
  if (device.cpuCores - device.usedCpuCores < service.cpuCores - EPS) return "cpu";
  if (device.memoryBytes - device.usedMemoryBytes < service.memoryBytes - EPS) return "memory";
  return undefined;
}

/**
 * The first reason `device` cannot host a replica of `service` whatever else is placed, in the order of
 * REASONS; undefined when it can. Capacity here is what is free after `used`.
 */
export function staticReason(service: Service, device: Device, inventory: Inventory): Reason | undefined {
  if (!device.alive) return "alive";
  return (
    siteReason(service, { name: device.site, tier: device.tier, region: device.region }, inventory) ??
    deviceReason(service, device)
  );
}

/** Whether `reason` is about capacity (so the device matches every other requirement). */
export function isCapacityReason(reason: Reason): boolean {
  return reason === "cpu" || reason === "memory" || reason === "gpu";
}

/** Static reasons of every device for one service: counts by reason and the reason per rejected device. */
export function filterDevices(
  service: Service,
  inventory: Inventory,
): { candidates: number[]; rejected: Partial<Record<Reason, number>>; reasons: (Reason | undefined)[] } {
  const candidates: number[] = [];
  const rejected: Partial<Record<Reason, number>> = {};
  const bySite = new Map<string, Reason | undefined>();
  const reasons = inventory.devices.map((d, i) => {
    let r: Reason | undefined;
    if (!d.alive) r = "alive";
    else {
      if (!bySite.has(d.site))
        bySite.set(d.site, siteReason(service, { name: d.site, tier: d.tier, region: d.region }, inventory));
      r = bySite.get(d.site) ?? deviceReason(service, d);
    }
    if (r) rejected[r] = (rejected[r] ?? 0) + 1;
    else candidates.push(i);
    return r;
  });
  return { candidates, rejected, reasons };
}
