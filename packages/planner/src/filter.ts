import type { Device, Inventory, Service } from "@qonnect/core";
import { REASONS, type Reason } from "./types.js";

const REASON_LIST: readonly Reason[] = REASONS;

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
  /** Site index of each device, when the caller has it: the per-site verdicts then live in an array. */
  siteOf?: Int32Array,
): { candidates: number[]; rejected: Partial<Record<Reason, number>>; reasons: (Reason | undefined)[] } {
  const candidates: number[] = [];
  const rejected: Partial<Record<Reason, number>> = {};
  const bySite = new Map<string, Reason | undefined>();
  // per site index: 0 not yet known, 1 passes, 2 + k rejected by REASON_LIST[k]
  const verdicts = siteOf ? new Uint8Array(inventory.sites.length) : undefined;
  const siteVerdict = (d: Device, i: number): Reason | undefined => {
    if (verdicts && siteOf) {
      const k = siteOf[i]!;
      let v = verdicts[k]!;
      if (v === 0) {
        const r = siteReason(service, { name: d.site, tier: d.tier, region: d.region }, inventory);
        v = r ? 2 + REASON_LIST.indexOf(r) : 1;
        verdicts[k] = v;
      }
      return v === 1 ? undefined : REASON_LIST[v - 2];
    }
    if (!bySite.has(d.site))
      bySite.set(d.site, siteReason(service, { name: d.site, tier: d.tier, region: d.region }, inventory));
    return bySite.get(d.site);
  };
  const devices = inventory.devices;
  const reasons = new Array<Reason | undefined>(devices.length);
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    const r = !d.alive ? "alive" : (siteVerdict(d, i) ?? deviceReason(service, d));
    reasons[i] = r;
    if (r) rejected[r] = (rejected[r] ?? 0) + 1;
    else candidates.push(i);
  }
  return { candidates, rejected, reasons };
}
