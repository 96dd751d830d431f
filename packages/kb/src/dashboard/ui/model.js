// What the screens show, derived from the live resources: devices joined with the declared inventory
// (site, region, zone, tier, power model), where every replica runs, and the fleet's totals now.

export const VERDICTS = ["alive", "suspect", "dead", "unreachable", "unknown"];

/** "VERDICT_DEAD", "dead", 3 → "dead". */
export function verdictOf(status) {
  const v = status?.verdict;
  if (typeof v === "number") return ["unknown", "alive", "suspect", "dead", "unreachable"][v] ?? "unknown";
  const s = String(v ?? "")
    .toLowerCase()
    .replace(/^verdict_/, "");
  return VERDICTS.includes(s) ? s : "unknown";
}

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** The declared inventory: sites, zones and devices by name, merged over every Inventory resource. */
export function declared(live) {
  const sites = new Map();
  const zones = new Map();
  const devices = new Map();
  const latencies = [];
  const inventories = live.list("Inventory").sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const inv of inventories) {
    const s = inv.spec ?? {};
    for (const z of s.zones ?? []) zones.set(z.name, z);
    for (const x of s.sites ?? []) sites.set(x.name, x);
    for (const d of s.devices ?? []) devices.set(d.name, d);
    latencies.push(...(s.latencies ?? []));
  }
  return { sites, zones, devices, latencies };
}

/** Where each replica runs, by device: [{app, service, replica}]. */
export function replicasByDevice(live) {
  const out = new Map();
  for (const p of live.list("Placement"))
    for (const e of p.spec?.placements ?? []) {
      const list = out.get(e.device) ?? [];
      list.push(e);
      out.set(e.device, list);
    }
  return out;
}

/** One row per device: live status over declared facts. */
export function deviceRows(live) {
  const inv = declared(live);
  const replicas = replicasByDevice(live);
  const names = new Set([...inv.devices.keys(), ...live.kinds.Device.keys()]);
  const rows = [];
  for (const name of names) {
    const res = live.get("Device", name);
    const spec = res?.spec ?? {};
    const status = res?.status ?? {};
    const decl = inv.devices.get(name) ?? {};
    const siteName = spec.site ?? status.site ?? decl.site ?? "";
    const site = inv.sites.get(siteName) ?? {};
    const zone = inv.zones.get(site.zone ?? "") ?? {};
    const measured = num(status.powerW);
    const idleW = num(decl.power?.idleW);
    const battery = status.battery ?? {};
    const soc = num(status.soc) ?? num(battery.soc) ?? (res ? undefined : num(decl.battery?.soc));
    const memUsed = num(status.memoryUsedBytes);
    const memTotal = num(status.memoryTotalBytes);
    rows.push({
      name,
      site: siteName,
      region: spec.region ?? status.region ?? site.region ?? "",
      zone: site.zone ?? "",
      tier: spec.tier ?? status.tier ?? site.tier ?? "",
      arch: spec.arch ?? status.arch ?? decl.arch ?? "",
      verdict: res ? verdictOf(status) : decl.alive === false ? "dead" : "unknown",
      verdictReason: status.verdictReason ?? "",
      lastSeenMs: num(status.lastSeenMs),
      powerW: measured ?? idleW,
      powerMeasured: measured !== undefined,
      soc,
      minSoc: num(decl.battery?.minSoc),
      hasBattery: Boolean(decl.battery) || soc !== undefined,
      solarExcessW: num(status.solarExcessW) ?? num(decl.solar?.excessW),
      cpuUtil: num(status.cpuUtil),
      memUtil: memUsed !== undefined && memTotal ? memUsed / memTotal : undefined,
      intensityGPerKWh: num(zone.intensityGPerKWh),
      pricePerKWh: num(zone.pricePerKWh),
      pricePerHour: num(decl.pricePerHour) ?? 0,
      energyWh: num(status.energyWh),
      solarEnergyWh: num(status.solarEnergyWh),
      carbonG: num(status.carbonG),
      cost: num(status.cost),
      workloads: (replicas.get(name) ?? []).map((e) => `${e.app}/${e.service}#${e.replica}`),
      declared: Boolean(inv.devices.get(name)),
      live: Boolean(res),
    });
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/** Power, carbon and cost now; the share of solar; battery devices below their floor. */
export function totalsNow(rows) {
  let powerW = 0;
  let carbonGPerH = 0;
  let costPerH = 0;
  let solarW = 0;
  let belowFloor = 0;
  for (const r of rows) {
    if (r.verdict === "dead" || r.verdict === "unreachable" || r.powerW === undefined) continue;
    const solar = Math.min(r.powerW, r.solarExcessW ?? 0);
    const gridW = r.powerW - solar;
    powerW += r.powerW;
    solarW += solar;
    carbonGPerH += (gridW * (r.intensityGPerKWh ?? 0)) / 1000;
    costPerH += (gridW * (r.pricePerKWh ?? 0)) / 1000 + r.pricePerHour;
    if (r.soc !== undefined && r.minSoc !== undefined && r.soc < r.minSoc) belowFloor++;
  }
  return { powerW, carbonGPerH, costPerH, solarShare: powerW > 0 ? solarW / powerW : 0, belowFloor };
}

/** The fog leader of each region and its term, from the Region resources' status. */
export function regionRows(live, rows) {
  const names = new Set([...live.kinds.Region.keys(), ...rows.map((r) => r.region).filter(Boolean)]);
  return [...names].sort().map((name) => {
    const st = live.get("Region", name)?.status ?? {};
    const leader = st.leaderId ?? st.leader ?? st.leaderAddress;
    return {
      name,
      leader: leader === undefined || leader === "0" || leader === 0 ? undefined : String(leader),
      term: st.term,
      planVersion: st.planVersion || st.summaryPlanVersion,
      plansDelivered: st.reachable,
      lastSummaryMs: st.lastSummaryMs ?? st.tsMs,
      reachable: st.reachable,
      devices: rows.filter((r) => r.region === name),
    };
  });
}
