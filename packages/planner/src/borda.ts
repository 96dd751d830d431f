import type { Application, Device, Inventory, Objective, Site } from "@qonnect/core";
import { TIERS } from "@qonnect/core";
import type { PlacementEntry } from "./types.js";

// The QONNECT prototype's placement, kept as a baseline: every cluster (here: a site) is ranked per
// attribute, each rank earns Borda points (best of N gets N − 1, ties share), the points are summed with the
// manifest's weights, clusters below the mean score are dropped, and each tier gets exactly one cluster, its
// best. A service goes to the best chosen cluster of a tier it allows; its replicas are dealt round-robin
// over that cluster's devices. Nothing checks capacity, architecture, batteries, latency or limits: that is
// the point of comparing against it (assessPlacement counts what it breaks).

type Attribute = (site: Site, devices: Device[]) => number;

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

/** Per objective, the cluster attribute QONNECT ranks on and whether lower is better. */
function attributes(
  inventory: Inventory,
  app: Application,
): Record<Objective, { value: Attribute; lower: boolean }> {
  const zone = new Map(inventory.zones.map((z) => [z.name, z]));
  const users = app.services.find((s) => s.placement.nearUsers)?.placement.nearUsers;
  return {
    energy: { value: (_, ds) => mean(ds.map((d) => (d.maxW - d.idleW) / d.cpuCores)), lower: true },
    carbon: { value: (s) => zone.get(s.zone)?.intensityGPerKWh ?? 0, lower: true },
    cost: {
      value: (s, ds) =>
        mean(ds.map((d) => d.pricePerHour / d.cpuCores)) + (zone.get(s.zone)?.pricePerKWh ?? 0),
      lower: true,
    },
    performance: { value: (_, ds) => mean(ds.map((d) => d.speed)), lower: false },
    latency: { value: (s) => (users ? inventory.latency.ms(users.site, s.name) : 0), lower: true },
    battery: { value: (_, ds) => mean(ds.map((d) => (d.battery ? 1 : 0))), lower: true },
  };
}

/** Borda points per site for one attribute: N − 1 for the best, ties share the better rank. */
function borda(values: number[], lower: boolean): number[] {
  const n = values.length;
  return values.map((v) => {
    const better = values.filter((w) => (lower ? w < v : w > v)).length;
    return n - 1 - better;
  });
}

/** Scores of every site under `app`'s weights (exported for tests). */
export function bordaScores(inventory: Inventory, app: Application): Map<string, number> {
  const sites = inventory.sites.filter((s) => inventory.devices.some((d) => d.site === s.name));
  const devicesAt = new Map(sites.map((s) => [s.name, inventory.devices.filter((d) => d.site === s.name)]));
  const scores = new Map(sites.map((s) => [s.name, 0]));
  for (const [objective, attr] of Object.entries(attributes(inventory, app)) as [
    Objective,
    { value: Attribute; lower: boolean },
  ][]) {
    const w = app.weights[objective];
    if (w === 0) continue;
    const points = borda(
      sites.map((s) => attr.value(s, devicesAt.get(s.name)!)),
      attr.lower,
    );
    for (const [k, s] of sites.entries()) scores.set(s.name, scores.get(s.name)! + w * points[k]!);
  }
  return scores;
}

/** QONNECT's placement of `app`: one cluster per tier, round-robin inside it, no checks. */
export function solveBorda(inventory: Inventory, app: Application): PlacementEntry[] {
  const scores = bordaScores(inventory, app);
  const threshold = mean([...scores.values()]);
  const siteByName = new Map(inventory.sites.map((s) => [s.name, s]));
  const chosen = new Map<string, string>(); // tier → site
  for (const tier of TIERS) {
    let best: string | undefined;
    for (const [site, score] of scores)
      if (
        siteByName.get(site)!.tier === tier &&
        score >= threshold &&
        (best === undefined || score > scores.get(best)!)
      )
        best = site;
    if (best) chosen.set(tier, best);
  }
  const out: PlacementEntry[] = [];
  for (const s of app.services) {
    const tiers = s.placement.tiers ?? [...TIERS];
    let site: string | undefined;
    for (const t of tiers) {
      const c = chosen.get(t);
      if (c && (site === undefined || scores.get(c)! > scores.get(site)!)) site = c;
    }
    if (!site) continue;
    const devices = inventory.devices
      .filter((d) => d.site === site)
      .map((d) => d.name)
      .sort();
    for (let r = 0; r < s.replicas; r++)
      out.push({ app: app.name, service: s.name, replica: r, device: devices[r % devices.length]! });
  }
  return out;
}
