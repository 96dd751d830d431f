// `pnpm bench fog-failover [--trials N] [--heartbeat-ms 100] [--election-ms 800] [--json] [--smoke]`
// Three fog leads and seven device agents as real processes on a real nats-server. Per trial:
//   device loss: kill -9 the process tree of the device that hosts web/0, time until web/0 answers HTTP again
//                (on its new device: the old one is dead), then bring the device back;
//   leader loss: send a plan that moves a replica, kill -9 the fog leader at once (mid-plan), time until the
//                first command of that plan is acknowledged under the new leader (an acked token with the new
//                term and the plan's version, read with GetRegion from the survivors).
// A sampler counts double runs all along: a replica reported running by two devices, while no plan is in
// progress, for longer than the stop deadline (the command timeout, 3 s). Measured, never asserted.
import { request } from "node:http";
import { fogV1 } from "@qonnect/proto";
import { argValue, benchEnv, percentile, round, table } from "@qonnect/testkit";
import { loopbackPort } from "../src/desired.js";
import { fixtureContext } from "../src/region-fixture.js";
import { contextToProto } from "../src/region-view.js";
import { RegionRig } from "./lib/rig.js";

const json = process.argv.includes("--json");
const smoke = process.argv.includes("--smoke");
const trials = Number(argValue("--trials", smoke ? "1" : "5"));
const heartbeatMs = Number(argValue("--heartbeat-ms", "100"));
const electionMs = Number(argValue("--election-ms", "800"));
const DEVICES = { a1: "s1", a2: "s1", a3: "s1", a4: "s1", b1: "s2", b2: "s2", b3: "s2" };
const STOP_DEADLINE_MS = 3000;
const explain = process.argv.includes("--explain");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stderr.write(`${s}\n`);

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", timeout: 300 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await f().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The survivors' log lines since the kill (what took the time), to stderr. */
function explainLeaderLoss(oldLeader: number, killedAtMs: number): void {
  const lines: { time: number; text: string }[] = [];
  for (const id of rig.runningLeads())
    for (const line of rig.leadLog(id).split("\n")) {
      try {
        const j = JSON.parse(line) as { time: number; msg: string; level: number } & Record<string, unknown>;
        if (j.time < killedAtMs) continue;
        const { time, msg, level, pid, hostname, ...rest } = j;
        lines.push({ time, text: `fog${id} ${msg} ${JSON.stringify(rest)}` });
      } catch {
        // not a log line
      }
    }
  lines.sort((a, b) => a.time - b.time);
  say(`  killed fog${oldLeader} at t=0:`);
  for (const l of lines.slice(0, 40)) say(`    +${l.time - killedAtMs} ms ${l.text}`);
}

const rig = await RegionRig.start({ devices: DEVICES, heartbeatMs, electionMs });
const deviceLossMs: number[] = [];
const leaderLossMs: number[] = [];
let doubleRuns = 0;
try {
  for (const id of [1, 2, 3]) rig.startLead(id);
  for (const d of Object.keys(DEVICES)) rig.startAgent(d);
  const region = () => rig.kb.getRegion(rig.region);
  await until("every device alive", async () => {
    const r = await region();
    return r.devices.filter((d) => d.verdict === fogV1.Verdict.VERDICT_ALIVE).length === 7 || undefined;
  });
  const context = contextToProto(fixtureContext({ devices: DEVICES }));
  await rig.kb.applyPlan(
    fogV1.ApplyPlanRequest.create({
      region: rig.region,
      planId: "bench-0",
      basePlanVersion: 0,
      placements: [
        { app: "shop", service: "db", replica: 0, device: "a2" },
        { app: "shop", service: "web", replica: 0, device: "a1" },
        { app: "shop", service: "web", replica: 1, device: "b1" },
      ],
      context,
    }),
  );
  // the double-run sampler: make-before-break runs a moved replica twice on purpose until the break phase,
  // so an overlap counts only while the region reports no plan in progress (a move that settled)
  const since = new Map<string, number>();
  const counted = new Set<string>();
  let moving = true;
  const poll = setInterval(() => {
    region().then(
      (r) => {
        moving = r.planInProgress || r.leaderId === 0;
      },
      () => {
        moving = true;
      },
    );
  }, 250);
  const sampler = setInterval(() => {
    const now = Date.now();
    for (const [k, where] of rig.copies(2500)) {
      if (where.length < 2 || moving) {
        since.delete(k);
        continue;
      }
      const s = since.get(k) ?? now;
      since.set(k, s);
      const episode = `${k}@${s}`;
      if (now - s > STOP_DEADLINE_MS && !counted.has(episode)) {
        counted.add(episode);
        doubleRuns++;
        say(`  double run: ${k} on ${where.join(", ")} for ${now - s} ms`);
      }
    }
  }, 100);
  const settled = async () => {
    const r = await region();
    if (r.planInProgress || r.leaderId === 0) return undefined;
    const copies = rig.copies();
    return r.placements.every(
      (p) => (copies.get(`${p.app}/${p.service}/${p.replica}`) ?? []).join() === p.device,
    )
      ? r
      : undefined;
  };
  await until("the first plan running", settled);
  const port = loopbackPort(21000, "shop", "web", 0);
  for (let t = 0; t < trials; t++) {
    // device loss
    const r = await until("a settled region", settled);
    const victim = r.placements.find((p) => p.service === "web" && p.replica === 0)!.device;
    await until("web/0 answering", async () => (await answers(port)) || undefined);
    const t0 = Date.now();
    await rig.killDevice(victim);
    await until("web/0 answering on its new device", async () => (await answers(port)) || undefined);
    deviceLossMs.push(Date.now() - t0);
    say(`  trial ${t + 1}: device ${victim} lost → web/0 answers again after ${deviceLossMs.at(-1)} ms`);
    await until("the re-placement settled", settled);
    rig.startAgent(victim);
    await until(`${victim} alive`, async () => {
      const x = await region();
      return x.devices.find((d) => d.name === victim)?.verdict === fogV1.Verdict.VERDICT_ALIVE || undefined;
    });
    await until("settled with the device back", settled);

    // leader loss, mid-plan
    const before = await until("a settled region", settled);
    const placements = before.placements.map((p) => ({ ...p }));
    const free = Object.keys(DEVICES).filter((d) => !placements.some((p) => p.device === d));
    placements.find((p) => p.service === "web" && p.replica === 1)!.device = free[t % free.length]!;
    const res = await rig.kb.applyPlan(
      fogV1.ApplyPlanRequest.create({
        region: rig.region,
        planId: `bench-lead-${t}`,
        basePlanVersion: before.planVersion,
        placements,
      }),
    );
    const oldLeader = before.leaderId;
    const k0 = Date.now();
    await rig.killLead(oldLeader);
    const survivors = [...rig.leadAddr].filter(([id]) => id !== oldLeader).map(([, a]) => a);
    await until("the plan's first ack under the new leader", async () => {
      for (const ep of survivors) {
        const x = await rig.kb.getRegion(rig.region, ep).catch(() => undefined);
        if (
          x &&
          x.leaderId !== oldLeader &&
          x.devices.some(
            (d) => (d.ackedToken?.term ?? 0) > before.term && d.ackedToken?.planVersion === res.planVersion,
          )
        )
          return true;
      }
      return undefined;
    });
    leaderLossMs.push(Date.now() - k0);
    if (explain) explainLeaderLoss(oldLeader, k0);
    say(
      `  trial ${t + 1}: leader ${oldLeader} lost → first ack under the new leader after ${leaderLossMs.at(-1)} ms`,
    );
    await until("the plan finished", settled);
    rig.startLead(oldLeader);
    await until(
      "three members again",
      async () => ((await region()).members.length === 3 && (await region()).leaderId) || undefined,
    );
    await sleep(3000);
  }
  clearInterval(sampler);
  clearInterval(poll);
} finally {
  await rig.stop();
}

const metrics = {
  deviceLossP50Ms: Math.round(percentile(deviceLossMs, 50)),
  deviceLossP99Ms: Math.round(percentile(deviceLossMs, 99)),
  leaderLossP50Ms: Math.round(percentile(leaderLossMs, 50)),
  leaderLossP99Ms: Math.round(percentile(leaderLossMs, 99)),
  doubleRuns,
  trials,
};
console.log(
  table(
    ["what", "p50 ms", "p99 ms", "max ms", "target", "anchors' defaults"],
    [
      [
        "device loss → replica answers elsewhere",
        metrics.deviceLossP50Ms,
        metrics.deviceLossP99Ms,
        round(Math.max(...deviceLossMs), 0),
        "< 5,000",
        "Nomad 20–30 s, K8s/KubeEdge ~340 s, QONNECT prototype ~40 s",
      ],
      [
        "leader loss → first ack of the plan",
        metrics.leaderLossP50Ms,
        metrics.leaderLossP99Ms,
        round(Math.max(...leaderLossMs), 0),
        "< 3,000",
        "QONNECT prototype: a partitioned old leader keeps scheduling",
      ],
    ],
  ),
);
console.log(`double runs: ${doubleRuns} (target 0); ${trials} trial(s) each`);
if (json)
  console.log(
    JSON.stringify({
      bench: "fog-failover",
      metrics,
      env: benchEnv({ devices: 7, fogLeads: 3, heartbeatMs, electionMs }),
    }),
  );
process.exit(0);
