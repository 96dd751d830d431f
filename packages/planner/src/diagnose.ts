import { formatCpuCores, formatMemoryBytes, type Service } from "@qonnect/core";
import { filterDevices, isCapacityReason } from "./filter.js";
import type { Problem } from "./problem.js";
import type { PlacementState } from "./state.js";
import { REASONS, type Reason } from "./types.js";

// Infeasibility in words: for each service with replicas left out, the requirements no device meets, the
// reasons devices were rejected, and the closest device ("reviews: no device with arm64 and 2 free cores in
// eu-central; closest: fog-2 has 1.5 free").

function requirements(s: Service): string {
  const p = s.placement;
  const parts: string[] = [];
  if (p.arch) parts.push(p.arch.join(" or "));
  parts.push(`${formatCpuCores(s.cpuCores)} free cores`);
  parts.push(`${formatMemoryBytes(s.memoryBytes)} free memory`);
  if (s.gpus > 0) parts.push(`${s.gpus} free GPU${s.gpus > 1 ? "s" : ""}`);
  let text = parts.join(" and ");
  if (p.tiers) text += ` on tier ${p.tiers.join(" or ")}`;
  if (p.regions) text += ` in ${p.regions.join(" or ")}`;
  if (p.sites) text += ` at ${p.sites.join(" or ")}`;
  if (p.labels)
    text += ` labelled ${Object.entries(p.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",")}`;
  if (p.nearUsers) text += ` within ${p.nearUsers.maxLatencyMs} ms of ${p.nearUsers.site}`;
  if (p.minBatterySoc !== undefined) text += ` (battery devices at ≥ ${Math.round(p.minBatterySoc * 100)} %)`;
  return text;
}

function counts(rejected: Partial<Record<Reason, number>>): string {
  return REASONS.filter((r) => rejected[r])
    .map((r) => `${rejected[r]} ${r}`)
    .join(", ");
}

function freeText(cpu: number, memoryBytes: number): string {
  return `${formatCpuCores(Math.max(0, cpu))} free cores and ${formatMemoryBytes(Math.max(0, memoryBytes))} free memory`;
}

/** One sentence per service that has replicas left out of `state`. */
export function diagnose(p: Problem, state: PlacementState, unplaced: readonly number[]): string[] {
  const out: string[] = [];
  const services = [...new Set(unplaced.map((i) => p.serviceOf[i]!))].sort((a, b) => a - b);
  const devices = p.inventory.devices;
  for (const s of services) {
    const sm = p.services[s]!;
    const svc = sm.service;
    const missing = unplaced.filter((i) => p.serviceOf[i] === s).length;
    if (sm.candidates.length === 0) {
      const { reasons } = filterDevices(svc, p.inventory);
      let closest = -1;
      for (const [d, r] of reasons.entries())
        if (r && isCapacityReason(r) && (closest < 0 || p.freeCpu[d]! > p.freeCpu[closest]!)) closest = d;
      const near =
        closest >= 0
          ? `; closest: ${devices[closest]!.name} has ${freeText(p.freeCpu[closest]!, p.freeMemory[closest]!)}`
          : "";
      out.push(`${svc.name}: no device with ${requirements(svc)} (rejected: ${counts(sm.rejected)})${near}`);
      continue;
    }
    // candidates exist but the other replicas, spread, calls or limits leave none for these
    const why: Partial<Record<Reason, number>> = {};
    let closest = -1;
    const i = unplaced.find((r) => p.serviceOf[r] === s)!;
    for (const d of sm.candidates) {
      const r = state.blocker(i, d);
      if (r) why[r] = (why[r] ?? 0) + 1;
      if (closest < 0 || state.freeCpu[d]! > state.freeCpu[closest]!) closest = d;
    }
    const detail: string[] = [];
    if (why.spread && svc.placement.spread)
      detail.push(`spread: ${svc.placement.spread} needs ${sm.replicas} distinct ${svc.placement.spread}s`);
    if (why.limits) {
      const l = p.app.limits;
      const named = [
        l.maxPowerW !== undefined ? `maxPowerW ${l.maxPowerW} (placed ${state.powerW.toFixed(1)} W)` : "",
        l.maxCostPerHour !== undefined
          ? `maxCostPerHour ${l.maxCostPerHour} (placed ${state.costPerHour.toFixed(3)} EUR/h)`
          : "",
        l.maxCarbonGPerH !== undefined
          ? `maxCarbonGPerH ${l.maxCarbonGPerH} (placed ${state.carbonGPerH.toFixed(1)} g/h)`
          : "",
      ].filter(Boolean);
      detail.push(`application limits ${named.join(", ")}`);
    }
    if (why.calls) detail.push("call latency to the services it calls or is called by");
    const near =
      closest >= 0
        ? `; closest: ${devices[closest]!.name} has ${freeText(state.freeCpu[closest]!, state.freeMemory[closest]!)}`
        : "";
    out.push(
      `${svc.name}: ${missing} of ${sm.replicas} replicas fit nowhere: ${sm.candidates.length} devices have ${requirements(svc)} but ${counts(why)}${detail.length ? ` (${detail.join("; ")})` : ""}${near}`,
    );
  }
  return out;
}
