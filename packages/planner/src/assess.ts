import type { Application, Inventory } from "@qonnect/core";
import { EPS, staticReason } from "./filter.js";
import {
  type ObjectiveTotals,
  replicaCostPerHour,
  replicaEnergyW,
  replicaSlownessCores,
  uncoveredW,
} from "./objectives.js";
import type { PlacementEntry } from "./types.js";

/**
 * A placement's totals and every hard constraint it breaks, in words, computed from the manifests alone
 * (independently of the solvers' bookkeeping): static filters, capacity, spread, call latency, application
 * limits, replicas left out. Used to score the borda baseline, to report its violations, and by tests.
 */
export function assessPlacement(
  inventory: Inventory,
  app: Application,
  placements: readonly PlacementEntry[],
): { totals: ObjectiveTotals; violations: string[] } {
  const out: string[] = [];
  let slownessCores = 0;
  let latencyMs = 0;
  let batteryDrainPerH = 0;
  const devices = new Map(inventory.devices.map((d) => [d.name, d]));
  const zones = new Map(inventory.zones.map((z) => [z.name, z]));
  const services = new Map(app.services.map((s) => [s.name, s]));
  const used = new Map<string, { cpu: number; mem: number; gpu: number; addedW: number }>();
  const sitesOf = new Map<string, string[]>();
  let powerW = 0;
  let costPerHour = 0;
  const seen = new Set<string>();
  for (const p of placements) {
    if (p.app !== app.name) continue;
    const device = devices.get(p.device);
    const service = services.get(p.service);
    const who = `${p.service}/${p.replica}`;
    if (!device || !service) {
      out.push(`${who}: unknown ${device ? "service" : "device"}`);
      continue;
    }
    seen.add(who);
    const reason = staticReason(service, device, inventory);
    if (reason) out.push(`${who} on ${device.name}: ${reason}`);
    const u = used.get(device.name) ?? { cpu: 0, mem: 0, gpu: 0, addedW: 0 };
    const e = replicaEnergyW(service, device);
    u.cpu += service.cpuCores;
    u.mem += service.memoryBytes;
    u.gpu += service.gpus;
    u.addedW += e;
    used.set(device.name, u);
    powerW += e;
    costPerHour += replicaCostPerHour(service, device, zones.get(device.zone));
    slownessCores += replicaSlownessCores(service, device);
    const users = service.placement.nearUsers;
    if (users) latencyMs += inventory.latency.ms(users.site, device.site) / service.replicas;
    const list = sitesOf.get(service.name) ?? [];
    list.push(device.site);
    sitesOf.set(service.name, list);
  }
  for (const s of app.services)
    for (let r = 0; r < s.replicas; r++)
      if (!seen.has(`${s.name}/${r}`)) out.push(`${s.name}/${r}: not placed`);
  let carbonGPerH = 0;
  for (const [name, u] of used) {
    const d = devices.get(name)!;
    if (u.cpu > d.cpuCores - d.usedCpuCores + EPS) out.push(`${name}: cpu over capacity`);
    if (u.mem > d.memoryBytes - d.usedMemoryBytes + EPS) out.push(`${name}: memory over capacity`);
    if (u.gpu > d.gpus - d.usedGpus + EPS) out.push(`${name}: gpu over capacity`);
    const unc = uncoveredW(u.addedW, d.solarExcessW);
    carbonGPerH += ((zones.get(d.zone)?.intensityGPerKWh ?? 0) * unc) / 1000;
    if (d.battery) batteryDrainPerH += unc / d.battery.capacityWh;
  }
  for (const s of app.services) {
    const on = placements
      .filter((p) => p.app === app.name && p.service === s.name)
      .map((p) => devices.get(p.device));
    const key = (d: (typeof on)[number]) =>
      s.placement.spread === "site" ? d?.site : s.placement.spread === "region" ? d?.region : d?.name;
    if (s.placement.spread && new Set(on.map(key)).size < on.length)
      out.push(`${s.name}: spread ${s.placement.spread}`);
    for (const c of s.calls) {
      const callee = services.get(c.service);
      if (c.service === s.name || !callee || callee.replicas === 0 || s.replicas === 0) continue;
      for (const a of sitesOf.get(s.name) ?? [])
        for (const b of sitesOf.get(c.service) ?? []) {
          const ms = inventory.latency.ms(a, b);
          latencyMs += ms / (s.replicas * callee.replicas);
          if (ms === Number.POSITIVE_INFINITY || ms > (c.maxLatencyMs ?? Number.POSITIVE_INFINITY) + EPS)
            out.push(`${s.name} → ${c.service}: ${a} → ${b} ${ms} ms`);
        }
    }
  }
  const { maxPowerW, maxCostPerHour, maxCarbonGPerH } = app.limits;
  if (maxPowerW !== undefined && powerW > maxPowerW + 1e-6)
    out.push(`limits: ${powerW} W > maxPowerW ${maxPowerW}`);
  if (maxCostPerHour !== undefined && costPerHour > maxCostPerHour + 1e-6)
    out.push(`limits: ${costPerHour} EUR/h > maxCostPerHour ${maxCostPerHour}`);
  if (maxCarbonGPerH !== undefined && carbonGPerH > maxCarbonGPerH + 1e-6)
    out.push(`limits: ${carbonGPerH} g/h > maxCarbonGPerH ${maxCarbonGPerH}`);
  return {
    totals: { energyW: powerW, carbonGPerH, costPerHour, latencyMs, slownessCores, batteryDrainPerH },
    violations: [...new Set(out)],
  };
}
