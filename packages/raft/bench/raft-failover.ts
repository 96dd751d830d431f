// `pnpm bench raft-failover [--trials N] [--json] [--no-etcd]`: 3 raft-kv processes on loopback; kill -9 the
// leader and time until a put sent to a survivor succeeds (a new leader has committed a client write). Two
// profiles (etcd-like: heartbeat 100 ms / election 1000 ms; fast: 50 / 300), and the same trials against a
// 3-member etcd 3.4 with the same settings in the same run. Targets: our p99 ≤ etcd's p99, and < 2 × election
// timeout + 100 ms.
import * as grpc from "@grpc/grpc-js";
import { raftV1 } from "@qonnect/proto";
import { argValue, benchEnv, percentile, round, table } from "@qonnect/testkit";
import { startCluster } from "../src/testing.js";
import { etcdVersion, startEtcd } from "./lib/etcd.js";

const json = process.argv.includes("--json");
const withEtcd = !process.argv.includes("--no-etcd");
const trials = Number(argValue("--trials", "30"));
/** The `time` (ms) of a pino log line, or 0 for a line that is not one. */
function logTimeMs(line: string): number {
  try {
    return Number((JSON.parse(line) as { time?: number }).time ?? 0);
  } catch {
    return 0;
  }
}

/** Prints the survivors' log lines (role changes) of every trial slower than the bound, to stderr. */
const explain = process.argv.includes("--explain");
const only = argValue("--profile", "");
const PROFILES = [
  { name: "etcd-like", heartbeatMs: 100, electionMs: 1000 },
  { name: "fast", heartbeatMs: 50, electionMs: 300 },
];
const ATTEMPT_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

/** Runs `trials` kill-and-time rounds; returns failover times in ms. */
async function oursTrials(heartbeatMs: number, electionMs: number): Promise<number[]> {
  const c = await startCluster({ size: 3, heartbeatMs, electionMs });
  const clients = new Map(
    [...c.peers].map(([id, ep]) => [id, new raftV1.KvServiceClient(ep, grpc.credentials.createInsecure())]),
  );
  const put = (id: number, key: string) =>
    new Promise<boolean>((resolve) => {
      const deadline = new Date(Date.now() + ATTEMPT_MS);
      clients
        .get(id)!
        .put({ key, value: Buffer.from("x") }, new grpc.Metadata(), { deadline }, (err) => resolve(!err));
    });
  const allUp = async () => {
    for (;;) {
      const s = await Promise.all(c.endpoints.map((ep) => c.client.status(ep, 500).catch(() => undefined)));
      if (s.every((x) => x && x.leaderId > 0 && x.leaderId === s[0]?.leaderId)) return;
      await sleep(50);
    }
  };
  const out: number[] = [];
  try {
    for (let t = 0; t < trials; t++) {
      await allUp();
      const leader = await c.waitForLeader();
      while (!(await put(leader.id, `warm-${t}`))) await sleep(10);
      const t0 = performance.now();
      const killedAt = Date.now();
      await c.kill(leader.id);
      const survivors = [...c.peers.keys()].filter((id) => id !== leader.id);
      let done = false;
      while (!done) {
        done = (await Promise.all(survivors.map((id) => put(id, `after-${t}`)))).some(Boolean);
        if (!done) await sleep(5);
      }
      out.push(performance.now() - t0);
      say(`  ours ${heartbeatMs}/${electionMs} trial ${t + 1}/${trials}: ${round(out[out.length - 1]!)} ms`);
      if (explain && out[out.length - 1]! > 2 * electionMs + 100) {
        process.stderr.write(
          `slow trial ${t + 1} (${round(out[out.length - 1]!)} ms), killed ${leader.id} at ${new Date(killedAt).toISOString()}\n`,
        );
        for (const id of survivors)
          for (const line of c.log(id).split("\n"))
            if (logTimeMs(line) >= killedAt) process.stderr.write(`  ${line}\n`);
      }
      c.start(leader.id);
    }
  } finally {
    for (const cl of clients.values()) cl.close();
    await c.stop();
  }
  return out;
}

async function etcdTrials(heartbeatMs: number, electionMs: number): Promise<number[]> {
  const e = await startEtcd(heartbeatMs, electionMs);
  const out: number[] = [];
  try {
    for (let t = 0; t < trials; t++) {
      let leader = 0;
      while (!leader) {
        leader = await e.leader();
        if (!leader) await sleep(50);
      }
      while (!(await e.put(leader, `warm-${t}`, "x", 1000))) await sleep(20);
      const t0 = performance.now();
      await e.kill(leader);
      const survivors = [...e.endpoints.keys()].filter((id) => id !== leader);
      let done = false;
      while (!done) {
        done = (await Promise.all(survivors.map((id) => e.put(id, `after-${t}`, "x", ATTEMPT_MS)))).some(
          Boolean,
        );
        if (!done) await sleep(5);
      }
      out.push(performance.now() - t0);
      say(`  etcd ${heartbeatMs}/${electionMs} trial ${t + 1}/${trials}: ${round(out[out.length - 1]!)} ms`);
      e.start(leader);
      // the restarted member rejoins before the next kill
      for (let i = 0; i < 200 && !(await e.put(leader, `rejoin-${t}`, "x", 500)); i++) await sleep(50);
    }
  } finally {
    await e.stop();
  }
  return out;
}

const metrics: Record<string, number | string> = { trials };
const rows: (string | number)[][] = [];
const version = withEtcd ? etcdVersion() : "not run";
for (const p of PROFILES.filter((x) => !only || x.name === only)) {
  say(`profile ${p.name}: heartbeat ${p.heartbeatMs} ms, election ${p.electionMs} ms`);
  const ours = await oursTrials(p.heartbeatMs, p.electionMs);
  const etcd = withEtcd ? await etcdTrials(p.heartbeatMs, p.electionMs) : [];
  const key = p.name.replace("-", "_");
  const oursP99 = percentile(ours, 99);
  const etcdP99 = percentile(etcd, 99);
  const bound = 2 * p.electionMs + 100;
  metrics[`${key}_ours_p50_ms`] = round(percentile(ours, 50));
  metrics[`${key}_ours_p99_ms`] = round(oursP99);
  if (withEtcd) {
    metrics[`${key}_etcd_p50_ms`] = round(percentile(etcd, 50));
    metrics[`${key}_etcd_p99_ms`] = round(etcdP99);
    metrics[`${key}_p99_ratio`] = round(oursP99 / etcdP99, 3);
  }
  metrics[`${key}_bound_ms`] = bound;
  rows.push([
    p.name,
    `${p.heartbeatMs}/${p.electionMs}`,
    round(percentile(ours, 50)),
    round(oursP99),
    withEtcd ? round(percentile(etcd, 50)) : "-",
    withEtcd ? round(etcdP99) : "-",
    withEtcd ? round(oursP99 / etcdP99, 3) : "-",
    bound,
  ]);
}

const header = [
  "profile",
  "hb/election ms",
  "ours p50",
  "ours p99",
  "etcd p50",
  "etcd p99",
  "p99 ours/etcd",
  "bound",
];
process.stdout.write(
  `raft-failover: kill -9 the leader of 3, time until a survivor commits a put (${trials} trials)\n`,
);
process.stdout.write(`${table(header, rows)}\n`);
if (json)
  process.stdout.write(
    `${JSON.stringify({ bench: "raft-failover", metrics, env: benchEnv({ etcd: version, fsync: true }) })}\n`,
  );
