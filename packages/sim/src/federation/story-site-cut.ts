// Story step 6: a whole site is cut off. Its agents (and their workloads) run in a network namespace whose
// veth to the region's leafnode is taken down (site-net.ts): the fog leads hear nothing from any device of the
// site, call them unreachable (not dead: a cut, not a crash) and move nothing during the application's
// partition grace (spec.failover.partitionGraceSeconds, default 300 s); the cut heals, the devices report
// again and every replica runs exactly once.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fogV1, telemetryV1 } from "@qonnect/proto";
import { cliOk } from "./cli-process.js";
import type { Federation } from "./federation.js";
import type { StepResult, Story } from "./story.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SITE_APP = "site-kiosk";

/** The placement of a region as its fog leads hold it: "app/service/replica" → device. */
function placementsOf(st: fogV1.RegionState | undefined): Map<string, string> {
  return new Map((st?.placements ?? []).map((p) => [`${p.app}/${p.service}/${p.replica}`, p.device]));
}

/**
 * Replicas of the region's placement not RUNNING on exactly one device whose verdict is alive: a count of
 * 0 means every replica runs exactly once. Also returns the replicas running twice.
 */
export function runCounts(st: fogV1.RegionState | undefined): { notOnce: string[]; twice: string[] } {
  const running = new Map<string, number>();
  for (const d of st?.devices ?? [])
    if (d.verdict === fogV1.Verdict.VERDICT_ALIVE)
      for (const w of d.workloads)
        if (w.state === telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING) {
          const k = `${w.app}/${w.service}/${w.replica}`;
          running.set(k, (running.get(k) ?? 0) + 1);
        }
  const wanted = [...placementsOf(st).keys()];
  return {
    notOnce: wanted.filter((k) => running.get(k) !== 1),
    twice: [...running].filter(([, n]) => n > 1).map(([k]) => k),
  };
}

export interface SiteCutOptions {
  site?: string;
  /** How long the site stays cut (shorter than the grace). Default 20 s. */
  cutMs?: number;
  timeoutMs?: number;
}

/** Step 6. Returns the step and the number of replicas moved during the cut (siteCutMoves). */
export async function siteCut(story: Story, o: SiteCutOptions = {}): Promise<StepResult & { moves: number }> {
  const fed = story.fed;
  const site = o.site ?? [...fed.siteNets.keys()][0] ?? "lyon-edge";
  const net = fed.siteNets.get(site);
  const t0 = Date.now();
  if (!net)
    return {
      ...story.record(
        "site cut",
        t0,
        true,
        `not run: ${fed.siteNetProblem ?? `the federation has no network namespace for ${site}`}`,
      ),
      moves: 0,
    };
  const timeoutMs = o.timeoutMs ?? 90_000;
  const region = fed.inventory.sites.find((s) => s.name === site)?.region ?? "";
  const devices = [...fed.devices.values()].filter((d) => d.device.site === site && d.process.running());
  await placeOnSite(fed, site, region, devices.length);
  const ready = await until(async () => {
    const st = await fed.regionState(region);
    const mine = [...placementsOf(st)].filter(([k]) => k.startsWith(`${SITE_APP}/`));
    return mine.length > 0 && runCounts(st).notOnce.length === 0;
  }, timeoutMs);
  if (!ready) return { ...story.record("site cut", t0, false, `${SITE_APP} never ran on ${site}`), moves: 0 };
  const before = placementsOf(await fed.regionState(region));
  const onSite = [...before].filter(([, d]) => devices.some((x) => x.device.name === d)).map(([k]) => k);
  const cutMs = o.cutMs ?? 20_000;
  const t1 = Date.now();
  net.cut();
  story.say(
    `  ${site} cut off (veth of ${net.ns} down): ${onSite.length} replicas there, ${devices.length} devices`,
  );
  let moves = 0;
  let unreachable = false;
  const moved = new Set<string>();
  while (Date.now() - t1 < cutMs) {
    await sleep(1000);
    const st = await fed.regionState(region).catch(() => undefined);
    if (!st) continue;
    for (const [k, d] of placementsOf(st)) if (before.has(k) && before.get(k) !== d) moved.add(k);
    const verdicts = st.devices.filter((d) => d.site === site).map((d) => d.verdict);
    unreachable ||= verdicts.length > 0 && verdicts.every((v) => v === fogV1.Verdict.VERDICT_UNREACHABLE);
  }
  moves = moved.size;
  net.heal();
  story.say(
    `  healed after ${((Date.now() - t1) / 1000).toFixed(0)} s: the site's devices were ${unreachable ? "unreachable (a cut, not a crash)" : "never all unreachable"}; ${moves} replicas moved meanwhile`,
  );
  let last = runCounts(undefined);
  const once = await until(async () => {
    const st = await fed.regionState(region);
    const back = st?.devices
      .filter((d) => d.site === site)
      .every((d) => d.verdict === fogV1.Verdict.VERDICT_ALIVE);
    last = runCounts(st);
    return back === true && last.notOnce.length === 0;
  }, timeoutMs);
  const ok = once && moves === 0 && unreachable;
  return {
    ...story.record(
      "site cut",
      t1,
      ok,
      ok
        ? `${site} cut for ${cutMs / 1000} s (grace 300 s): nothing moved; healed, every replica of ${region} runs exactly once`
        : `moves during the cut ${moves}; unreachable ${unreachable}; not once: ${last.notOnce.join(", ") || "none"}; twice: ${last.twice.join(", ") || "none"}`,
    ),
    moves,
  };
}

/** Applies a small application pinned to the site (one replica per device) through the CLI. */
async function placeOnSite(fed: Federation, site: string, region: string, replicas: number): Promise<void> {
  const file = join(fed.options.dir, `${SITE_APP}.yaml`);
  const tier = fed.inventory.sites.find((s) => s.name === site)?.tier ?? "edge";
  writeFileSync(
    file,
    [
      "apiVersion: qonnect.io/v1alpha1",
      "kind: Application",
      `metadata: { name: ${SITE_APP} }`,
      "spec:",
      "  qos: { energy: 0.5, latency: 0.5 }",
      "  services:",
      "    - name: kiosk",
      "      image: docker.io/istio/examples-bookinfo-details-v1:1.20.2",
      '      command: ["node", "examples/bookinfo/service.mjs"]',
      "      ports: [9080]",
      `      replicas: ${Math.max(1, replicas)}`,
      "      resources: { cpu: 100m, memory: 64Mi }",
      `      placement: { tiers: [${tier}], regions: [${region}], spread: device, nearUsers: { site: ${site}, maxLatencyMs: 1 } }`,
      "",
    ].join("\n"),
  );
  await cliOk(["apply", "-f", file, ...fed.serverFlags()]);
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(250);
  }
  return false;
}
