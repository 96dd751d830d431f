import type { Inventory, Service } from "@qonnect/core";
import type { PlacementEntry } from "./types.js";

// A feasible plan planted in a generated instance (families.ts), so that a family meant to be hard (capacity
// near full, latency limits along call chains) is hard and not merely infeasible. The generator places every
// replica itself, with nothing of the planner: first-fit decreasing over the devices in a random order (room
// left after their load, one device per replica with spread: device), a service's devices taken nearest first
// from where it must be (the users' site, or the sites of the service it calls). What does not fit is left
// out of the application (fewer replicas). For tight capacity the devices' load is then raised, each device
// keeping its planted replicas and a share of its spare cores, so that the plan books `booked` of the rest. Latency limits are then raised, where the drawn limit is too
// tight, to the largest latency between the planted replicas, rounded up to 5 ms: a plan exists, and limits
// drawn tight enough still bind.

export interface PlantOptions {
  /** Place each service near its users / its callee and derive the latency limits from the planted plan. */
  clustered: boolean;
  /** Raise the devices' load until the planted plan books this share of the cores left (tight capacity). */
  booked?: number;
}

const ceil5 = (ms: number) => Math.max(5, Math.ceil(ms / 5 - 1e-9) * 5);

/** Plants a plan for `services` of `app` on `inventory` (mutates replica counts, latency limits and, with
 * `booked`, the devices' load); returns the planted plan. */
export function plant(
  random: () => number,
  inventory: Inventory,
  services: Service[],
  o: PlantOptions,
): PlacementEntry[] {
  const devices = inventory.devices.map((d) => d);
  for (let k = devices.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [devices[k], devices[j]] = [devices[j]!, devices[k]!];
  }
  const cpu = new Map(devices.map((d) => [d.name, d.cpuCores - d.usedCpuCores]));
  const memory = new Map(devices.map((d) => [d.name, d.memoryBytes - d.usedMemoryBytes]));
  const lat = (a: string, b: string) => inventory.latency.ms(a, b);
  const siteOf = new Map(devices.map((d) => [d.name, d.site]));
  const all = [...services]; // `tighten` drops services left without replicas from `services`
  const planted: string[][] = all.map(() => []);
  // where each service should be: near its users or near the first site of the service it calls
  const anchor = (k: number): string | undefined => {
    const s = services[k]!;
    if (s.placement.nearUsers) return s.placement.nearUsers.site;
    const callee = services.findIndex((x) => x.name === s.calls[0]?.service);
    return callee >= 0 ? siteOf.get(planted[callee]![0]!) : undefined;
  };
  // largest first (first-fit decreasing); with clustering, in call order so that a callee is placed first
  const order = services.map((_, k) => k);
  if (!o.clustered) order.sort((a, b) => services[b]!.cpuCores - services[a]!.cpuCores);
  for (const k of order) {
    const s = services[k]!;
    const at = o.clustered ? anchor(k) : undefined;
    const ranked = at ? [...devices].sort((a, b) => lat(at, a.site) - lat(at, b.site)) : devices;
    let placed = 0;
    for (let r = 0; r < s.replicas; r++) {
      const d = ranked.find(
        (x) =>
          cpu.get(x.name)! >= s.cpuCores - 1e-9 &&
          memory.get(x.name)! >= s.memoryBytes &&
          !(s.placement.spread === "device" && planted[k]!.includes(x.name)),
      );
      if (!d) continue;
      cpu.set(d.name, cpu.get(d.name)! - s.cpuCores);
      memory.set(d.name, memory.get(d.name)! - s.memoryBytes);
      planted[k]!.push(d.name);
      placed++;
    }
    s.replicas = placed;
  }
  if (o.booked !== undefined) tighten(inventory, services, planted, o.booked);
  const entries = () =>
    all.flatMap((s, k) =>
      planted[k]!.map((device, replica) => ({ app: s.app, service: s.name, replica, device })),
    );
  if (!o.clustered) return entries();
  const sitesOf = (k: number) => [...new Set(planted[k]!.map((d) => siteOf.get(d)!))];
  for (const [k, s] of all.entries()) {
    const near = s.placement.nearUsers;
    if (near) {
      const worst = Math.max(0, ...sitesOf(k).map((a) => lat(near.site, a)));
      if (worst > near.maxLatencyMs) s.placement.nearUsers = { ...near, maxLatencyMs: ceil5(worst) };
    }
    s.calls = s.calls.map((c) => {
      const callee = services.findIndex((x) => x.name === c.service);
      let worst = 0;
      for (const a of sitesOf(k)) for (const b of sitesOf(callee)) worst = Math.max(worst, lat(a, b));
      return worst > (c.maxLatencyMs ?? Number.POSITIVE_INFINITY) ? { ...c, maxLatencyMs: ceil5(worst) } : c;
    });
  }
  return entries();
}

/** More load on every device (spare cores shrink alike) until the planted plan books `booked` of the cores
 * left; the planted plan still fits. Services left without replicas are dropped. */
function tighten(inventory: Inventory, services: Service[], planted: string[][], booked: number): void {
  const load = new Map<string, number>();
  for (const [k, names] of planted.entries())
    for (const d of names) load.set(d, (load.get(d) ?? 0) + services[k]!.cpuCores);
  let spare = 0;
  let used = 0;
  for (const d of inventory.devices) {
    used += load.get(d.name) ?? 0;
    spare += d.cpuCores - d.usedCpuCores - (load.get(d.name) ?? 0);
  }
  const keep = Math.min(1, (used * (1 / booked - 1)) / Math.max(spare, 1e-9));
  for (const d of inventory.devices) {
    const l = load.get(d.name) ?? 0;
    const free = l + (d.cpuCores - d.usedCpuCores - l) * keep;
    // a whole number of 0.05 cores of load, rounded down: never less room than the plan needs
    d.usedCpuCores = Math.max(d.usedCpuCores, Math.floor((d.cpuCores - free + 1e-9) * 20) / 20);
  }
  for (let k = services.length - 1; k >= 0; k--) if (services[k]!.replicas === 0) services.splice(k, 1);
}
