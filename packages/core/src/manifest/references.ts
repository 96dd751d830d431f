import { parseCpuCores, parseMemoryBytes } from "../quantity.js";
import { didYouMean } from "../suggest.js";
import type { ApplicationManifest, JobManifest } from "./application.js";
import type { InventoryManifest } from "./inventory.js";

/** A problem found after the schema passed, at a path inside the document. */
export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
}

function duplicates<T extends { name: string }>(
  items: T[],
  at: (i: number) => (string | number)[],
  what: string,
): ReferenceIssue[] {
  const seen = new Set<string>();
  const out: ReferenceIssue[] = [];
  items.forEach((item, i) => {
    if (seen.has(item.name))
      out.push({ path: [...at(i), "name"], message: `duplicate ${what} name "${item.name}"` });
    seen.add(item.name);
  });
  return out;
}

/** Cross-field checks of an Application or Job: unique services, calls that resolve, usable weights. */
export function checkApplication(app: ApplicationManifest | JobManifest): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const services = app.spec.services ?? [];
  issues.push(...duplicates(services, (i) => ["spec", "services", i], "service"));
  const names = services.map((s) => s.name);
  services.forEach((service, i) => {
    service.calls?.forEach((call, j) => {
      const path = ["spec", "services", i, "calls", j, "service"];
      if (call.service === service.name)
        issues.push({ path, message: `service "${service.name}" cannot call itself` });
      else if (!names.includes(call.service))
        issues.push({
          path,
          message: `calls unknown service "${call.service}"${didYouMean(call.service, names)}; services of ${app.metadata.name}: ${names.join(", ")}`,
        });
    });
  });
  const qos = app.spec.qos;
  if (qos && !Object.values(qos).some((w) => (w ?? 0) > 0))
    issues.push({
      path: ["spec", "qos"],
      message: "at least one qos weight must be greater than 0 (or leave qos out for equal weights)",
    });
  return issues;
}

/** Cross-field checks of an Inventory: unique names and references to zones and sites that exist. */
export function checkInventory(inv: InventoryManifest): ReferenceIssue[] {
  const issues: ReferenceIssue[] = [];
  const { zones = [], sites = [], latencies = [], devices = [] } = inv.spec;
  issues.push(...duplicates(zones, (i) => ["spec", "zones", i], "zone"));
  issues.push(...duplicates(sites, (i) => ["spec", "sites", i], "site"));
  issues.push(...duplicates(devices, (i) => ["spec", "devices", i], "device"));
  const zoneNames = zones.map((z) => z.name);
  const siteNames = sites.map((s) => s.name);
  sites.forEach((site, i) => {
    if (!zoneNames.includes(site.zone))
      issues.push({
        path: ["spec", "sites", i, "zone"],
        message: `zone "${site.zone}" is not in spec.zones${didYouMean(site.zone, zoneNames)}; add it there or fix the name`,
      });
  });
  latencies.forEach((link, i) => {
    for (const end of ["from", "to"] as const) {
      if (!siteNames.includes(link[end]))
        issues.push({
          path: ["spec", "latencies", i, end],
          message: `unknown site "${link[end]}"${didYouMean(link[end], siteNames)}`,
        });
    }
    if (link.from === link.to)
      issues.push({ path: ["spec", "latencies", i, "to"], message: "a latency links two different sites" });
  });
  devices.forEach((device, i) => {
    const at = ["spec", "devices", i];
    if (!siteNames.includes(device.site))
      issues.push({
        path: [...at, "site"],
        message: `unknown site "${device.site}"${didYouMean(device.site, siteNames)}; sites: ${siteNames.join(", ")}`,
      });
    if (device.power && device.power.idleW > device.power.maxW)
      issues.push({
        path: [...at, "power", "idleW"],
        message: `idleW ${device.power.idleW} is above maxW ${device.power.maxW}`,
      });
    if (device.used) {
      if (parseCpuCores(device.used.cpu) > parseCpuCores(device.cpu))
        issues.push({
          path: [...at, "used", "cpu"],
          message: `used cpu is more than the device's ${device.cpu} cores`,
        });
      if (parseMemoryBytes(device.used.memory) > parseMemoryBytes(device.memory))
        issues.push({
          path: [...at, "used", "memory"],
          message: `used memory is more than the device's ${device.memory}`,
        });
    }
  });
  return issues;
}
