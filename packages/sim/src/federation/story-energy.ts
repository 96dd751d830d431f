// Story step 5: the grid of one zone turns dirty (a Signal applied through the CLI over the control API) and
// the sun sets on the solar boards (their emulated panels give 0 W, so the solar excess their agents measure
// falls to zero). The Knowledge Base re-plans from the current placement with hysteresis: what is worth moving
// moves, the rest stays, and the Placement's moves and explanation say why.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliOk } from "./cli-process.js";
import type { Federation } from "./federation.js";
import type { StepResult, Story } from "./story.js";

interface Spot {
  service: string;
  replica: number;
  device: string;
}

interface ReplicaWhy {
  service: string;
  replica: number;
  device: string;
  runnerUp?: { device: string; objectiveDelta: number };
  contributions?: Record<string, number>;
}

interface ReplanView {
  reasons: string[];
  moved: number;
  kept: number;
  moves?: { service: string; replica: number; gain?: number; carbonGPerH?: number[] }[];
  stay: { carbonGPerH: number; energyW: number; objective: number };
  after: { carbonGPerH: number; energyW: number; objective: number };
  migrationPerReplica: number;
  thresholdPerReplica: number;
}

interface PlacementView {
  planId?: string;
  placements: Spot[];
  totals?: { carbonGPerH?: number; energyW?: number; objective?: number };
  /** The Knowledge Base's account of its last re-plan (what staying put would cost, the price of a move). */
  replan?: ReplanView;
  moves?: { op: string; service: string; replica: number; device: string; why: string }[];
  explanation?: { replicas?: ReplicaWhy[] };
}

interface DeviceView {
  status?: { solarExcessW?: number; soc?: number; powerW?: number };
}

const key = (p: { service: string; replica: number }) => `${p.service}/${p.replica}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function placementOf(fed: Federation, app: string): Promise<PlacementView | undefined> {
  return (await fed.rest.get<{ spec?: PlacementView }>("placements", app))?.spec;
}

/** Waits until the placement has not changed for `quietMs` (or `timeoutMs` passed); returns it with the
 * re-plan accounts seen meanwhile (a later round that moved nothing rewrites the first one's). */
async function settled(fed: Federation, app: string, quietMs: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const replans: ReplanView[] = [];
  const read = async () => {
    const v = await placementOf(fed, app).catch(() => undefined);
    if (v?.replan && JSON.stringify(v.replan) !== JSON.stringify(replans.at(-1))) replans.push(v.replan);
    return JSON.stringify(v?.placements ?? []);
  };
  let last = await read();
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await sleep(500);
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
  const view = await placementOf(fed, app);
  // the account to tell: the re-plan that moved something, else the latest
  const replan = replans.findLast((r) => r.moved > 0) ?? replans.at(-1);
  return view && { ...view, ...(replan ? { replan } : {}) };
}

export interface EnergyShiftOptions {
  /** The zone whose grid intensity jumps (default PL, where a solar board runs a replica). */
  zone?: string;
  /** Its new intensity, g CO2/kWh (default 2000: deliberately far above any real hour, so that moving pays). */
  intensityGPerKWh?: number;
  timeoutMs?: number;
}

/** Step 5: a dirty grid in one zone and a sunset on the solar boards; the planner moves only what is worth it. */
export async function energyShift(story: Story, o: EnergyShiftOptions = {}): Promise<StepResult> {
  const fed = story.fed;
  const zone = o.zone ?? "PL";
  const intensity = o.intensityGPerKWh ?? 2000;
  const timeoutMs = o.timeoutMs ?? 90_000;
  const before = await placementOf(fed, "bookinfo");
  if (!before) return story.record("grid + sunset", Date.now(), false, "bookinfo is not placed");
  const solar = [...fed.devices.values()].filter((d) => d.device.solarExcessW > 0 && d.process.running());
  const status = async (name: string) =>
    (await fed.rest.get<DeviceView>("devices", name).catch(() => undefined))?.status ?? {};
  const sunny = new Map(
    await Promise.all(solar.map(async (d) => [d.device.name, await status(d.device.name)] as const)),
  );
  const t0 = Date.now();
  const file = join(fed.options.dir, `signal-${zone.toLowerCase()}.yaml`);
  writeFileSync(
    file,
    [
      "apiVersion: qonnect.io/v1alpha1",
      "kind: Signal",
      `metadata: { name: grid-${zone.toLowerCase()} }`,
      `spec: { zone: ${zone}, quantity: intensity, source: constant, value: ${intensity} }`,
      "",
    ].join("\n"),
  );
  await cliOk(["apply", "-f", file, ...fed.serverFlags()]);
  for (const d of solar) fed.setSolar(d.device.name, 0);
  story.say(
    `  grid ${zone} → ${intensity} g/kWh (Signal grid-${zone.toLowerCase()}); sunset on ${solar.map((d) => d.device.name).join(", ") || "no solar board"}`,
  );
  // the agents measure the sunset, the fog leads report it, the Knowledge Base sees it
  const dark = async () => {
    for (const d of solar) {
      const v = await fed.rest.get<DeviceView>("devices", d.device.name);
      if ((v?.status?.solarExcessW ?? 1) > 0.01) return false;
    }
    return true;
  };
  const deadline = Date.now() + timeoutMs;
  let sawDark = false;
  while (Date.now() < deadline) {
    sawDark = await dark().catch(() => false);
    if (sawDark) break;
    await sleep(500);
  }
  for (const d of solar) {
    const [a, b] = [sunny.get(d.device.name) ?? {}, await status(d.device.name)];
    const pct = (v?: number) => (v === undefined ? "?" : `${Math.round(v * 100)} %`);
    story.say(
      `  ${d.device.name} (emulated INA219 + UPS HAT): solar excess ${a.solarExcessW?.toFixed(1)} → ${b.solarExcessW?.toFixed(1)} W, draw ${a.powerW?.toFixed(2)} W, battery ${pct(a.soc)} → ${pct(b.soc)}`,
    );
  }
  const after = await settled(fed, "bookinfo", 8000, Math.max(10_000, deadline - Date.now()));
  if (!after || !sawDark)
    return story.record(
      "grid + sunset",
      t0,
      false,
      sawDark
        ? "no placement after the re-plan"
        : "the Knowledge Base never saw the solar excess fall to zero",
    );
  const was = new Map(before.placements.map((p) => [key(p), p.device]));
  const moved = after.placements.filter((p) => was.has(key(p)) && was.get(key(p)) !== p.device);
  const why = new Map((after.moves ?? []).filter((m) => m.op === "start").map((m) => [key(m), m.why]));
  const r = after.replan;
  const gains = new Map((r?.moves ?? []).map((m) => [key(m), m]));
  for (const p of moved) {
    const m = gains.get(key(p));
    const c = m?.carbonGPerH;
    const account =
      m?.gain !== undefined
        ? `: gains ${m.gain.toFixed(4)} of the objective > ${r?.thresholdPerReplica.toFixed(4)} (migration + hysteresis)${c ? `, its carbon ${c[0]?.toFixed(2)} → ${c[1]?.toFixed(2)} g/h` : ""}`
        : "";
    story.say(
      `  moved ${key(p)}: ${was.get(key(p))} → ${p.device} (${why.get(key(p)) ?? "re-plan"}${account})`,
    );
  }
  // a replica with a better device that stays: its gain is below the migration cost plus the hysteresis
  const gainOf = (w: ReplicaWhy) => (r?.migrationPerReplica ?? 0) - (w.runnerUp?.objectiveDelta ?? 0);
  const held = (after.explanation?.replicas ?? []).filter(
    (w) => w.runnerUp && gainOf(w) > 1e-6 && !moved.some((m) => key(m) === key(w)),
  );
  for (const w of held)
    story.say(
      `  kept ${key(w)} on ${w.device}: ${w.runnerUp?.device} would gain ${gainOf(w).toFixed(4)} of the objective, below a move's price ${r?.thresholdPerReplica.toFixed(4)} (migration + hysteresis)`,
    );
  const kept = after.placements.length - moved.length;
  const g = (v?: number) => `${v?.toFixed(2)} g/h`;
  if (r) {
    story.say(`  re-planned on: ${r.reasons.join("; ")}`);
    story.say(
      `  carbon: ${g(before.totals?.carbonGPerH)} before the change; staying put now ${g(r.stay.carbonGPerH)}; after the re-plan ${g(r.after.carbonGPerH)} (objective ${r.stay.objective.toFixed(4)} → ${r.after.objective.toFixed(4)}, a move must gain > ${r.thresholdPerReplica.toFixed(4)})`,
    );
  } else
    story.say(
      `  the Knowledge Base recorded no re-plan after the change (carbon ${g(after.totals?.carbonGPerH)})`,
    );
  const carbon = r ? `; carbon ${g(r.stay.carbonGPerH)} staying → ${g(r.after.carbonGPerH)}` : "";
  return story.record(
    "grid + sunset",
    t0,
    true,
    `${moved.length} of ${after.placements.length} replicas moved, ${kept} stayed (${held.length} held by the hysteresis)${carbon}`,
  );
}
