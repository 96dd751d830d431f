import {
  type ApplicationManifest,
  formatCpuCores,
  formatMemoryBytes,
  type InventoryManifest,
  type JobManifest,
  type Manifest,
  toApplication,
  toInventory,
} from "@qonnect/core";
import { table } from "./table.js";

function describeApplication(m: ApplicationManifest | JobManifest): string {
  const app = toApplication(m);
  const weights = Object.entries(app.weights)
    .filter(([, w]) => w > 0)
    .map(([k, w]) => `${k} ${w.toFixed(2)}`)
    .join(", ");
  const limits = Object.entries(app.limits)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  let out = `${m.kind} ${app.name}: ${app.services.length} services, ${app.services.reduce((s, x) => s + x.replicas, 0)} replicas\n`;
  out += `  goals: ${weights}\n`;
  if (limits) out += `  limits: ${limits}\n`;
  if (app.job)
    out += `  window: start after ${new Date(app.job.earliestStartMs).toISOString()}, run ${app.job.durationMinutes} min, finish by ${new Date(app.job.deadlineMs).toISOString()}\n`;
  out += table(
    ["SERVICE", "REPLICAS", "CPU", "MEMORY", "TIERS", "CALLS"],
    app.services.map((s) => [
      s.name,
      s.replicas,
      formatCpuCores(s.cpuCores),
      formatMemoryBytes(s.memoryBytes),
      (s.placement.tiers ?? ["any"]).join(","),
      s.calls
        .map((c) => (c.maxLatencyMs === undefined ? c.service : `${c.service}<${c.maxLatencyMs}ms`))
        .join(" ") || "-",
    ]),
  ).replace(/^(?=.)/gm, "  ");
  return out;
}

function describeInventory(m: InventoryManifest): string {
  const inv = toInventory(m);
  let out = `Inventory ${inv.name}: ${inv.sites.length} sites, ${inv.devices.length} devices (${inv.devices.filter((d) => d.alive).length} alive)\n`;
  out += table(
    ["SITE", "TIER", "REGION", "ZONE", "gCO2/kWh", "DEVICES", "CORES", "IDLE W", "MAX W"],
    inv.sites.map((site) => {
      const devices = inv.devices.filter((d) => d.site === site.name);
      const zone = inv.zones.find((z) => z.name === site.zone);
      return [
        site.name,
        site.tier,
        site.region,
        site.zone,
        zone?.intensityGPerKWh ?? 0,
        devices.length,
        devices.reduce((s, d) => s + d.cpuCores, 0),
        Number(devices.reduce((s, d) => s + d.idleW, 0).toFixed(1)),
        Number(devices.reduce((s, d) => s + d.maxW, 0).toFixed(1)),
      ];
    }),
  ).replace(/^(?=.)/gm, "  ");
  const onBattery = inv.devices.filter((d) => d.battery);
  if (onBattery.length)
    out += `  on battery: ${onBattery.map((d) => `${d.name} (${Math.round((d.battery?.soc ?? 0) * 100)}%${d.solarExcessW ? `, +${d.solarExcessW} W solar` : ""})`).join(", ")}\n`;
  return out;
}

/** A short human description of a validated manifest. */
export function describeManifest(m: Manifest): string {
  return m.kind === "Inventory" ? describeInventory(m) : describeApplication(m);
}
