// `pnpm bench raft-throughput [--json] [--seconds S]`: 3 raft-kv processes on loopback, fsync on, 256-byte
// values. Open-loop puts to the leader at several offered rates, then a closed loop with many writes in
// flight: committed writes per second and commit latency (send → acknowledged after apply) p50/p99.
// Target: ≥ 10,000 committed writes/s on a 2-core machine.
import * as grpc from "@grpc/grpc-js";
import { raftV1 } from "@qonnect/proto";
import { argValue, benchEnv, percentile, round, table } from "@qonnect/testkit";
import { startCluster } from "../src/testing.js";

const json = process.argv.includes("--json");
const seconds = Number(argValue("--seconds", "4"));
const RATES = [500, 1000, 2000, 4000, 8000, 12_000, 16_000];
const CLOSED_LOOP_IN_FLIGHT = 512;
const MAX_IN_FLIGHT = 4000;
const PAYLOAD = Buffer.alloc(256, 0x61);
const CHANNELS = 4;
// PutStreams per connection. grpc-js writes one message per stream at a time (the next waits for the previous
// one's write callback, on the client for requests and on the server for answers), so a single stream
// carries a few thousand puts per second at most whatever the window; many streams pipeline in parallel.
const STREAMS_PER_CHANNEL = 16;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cluster = await startCluster({ size: 3, heartbeatMs: 100, electionMs: 1000 });
const leader = await cluster.waitForLeader(60_000);
let target = cluster.peers.get(leader.id)!;
const connect = (address: string) =>
  Array.from(
    { length: CHANNELS },
    (_, i) =>
      new raftV1.KvServiceClient(address, grpc.credentials.createInsecure(), {
        "grpc.channel_id": i, // distinct options: one HTTP/2 connection per client
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
let channels = connect(target);
/** Follows a leader change the cluster reports (the benchmark measures throughput, not failover). */
function follow(err: grpc.ServiceError): void {
  const hint = err.metadata?.get("raft-leader-address")[0];
  if (err.code !== grpc.status.FAILED_PRECONDITION || typeof hint !== "string" || hint === target) return;
  for (const c of channels) c.close();
  target = hint;
  channels = connect(target);
}

interface Run {
  offered: string;
  committedPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Pipelined puts: STREAMS_PER_CHANNEL PutStreams per connection, responses matched by id. */
interface PutStreamClient {
  stream: grpc.ClientDuplexStream<raftV1.PutStreamRequest, raftV1.PutStreamResponse>;
  waiting: Map<number, (ok: boolean, why: string, hint: string) => void>;
}
let streams: PutStreamClient[] = [];
function openStreams(): void {
  for (const s of streams) s.stream.end();
  streams = channels
    .flatMap((c) => Array.from({ length: STREAMS_PER_CHANNEL }, () => c))
    .map((c) => {
      const waiting = new Map<number, (ok: boolean, why: string, hint: string) => void>();
      const stream = c.putStream();
      stream.on("data", (r: raftV1.PutStreamResponse) => {
        const cb = waiting.get(r.id);
        waiting.delete(r.id);
        cb?.(
          r.code === grpc.status.OK,
          `${grpc.status[r.code]}: ${r.message}`.slice(0, 100),
          r.leaderAddress,
        );
      });
      stream.on("error", () => {
        for (const cb of waiting.values()) cb(false, "stream failed", "");
        waiting.clear();
      });
      return { stream, waiting };
    });
}

let seq = 0;
/** Why puts failed, for the report: "CODE details". */
const failures = new Map<string, number>();
function put(onDone: (ok: boolean, latencyMs: number) => void): void {
  const n = seq++;
  const t0 = performance.now();
  channels[n % CHANNELS]!.put(
    { key: `k${n % 1000}`, value: PAYLOAD },
    new grpc.Metadata(),
    { deadline: new Date(Date.now() + 10_000) },
    (err) => {
      if (err) {
        follow(err);
        const why = `${grpc.status[err.code]}: ${err.details}`.slice(0, 100);
        failures.set(why, (failures.get(why) ?? 0) + 1);
      }
      onDone(!err, performance.now() - t0);
    },
  );
}

/** A put over the pipelined streams. */
function streamPut(onDone: (ok: boolean, latencyMs: number) => void): void {
  const n = seq++;
  const t0 = performance.now();
  const s = streams[n % streams.length]!;
  s.waiting.set(n, (ok, why, hint) => {
    if (!ok) {
      failures.set(why, (failures.get(why) ?? 0) + 1);
      if (hint && hint !== target) {
        for (const c of channels) c.close();
        target = hint;
        channels = connect(target);
        openStreams();
      }
    }
    onDone(ok, performance.now() - t0);
  });
  s.stream.write({ id: n, key: `k${n % 1000}`, value: PAYLOAD });
}

async function openLoop(rate: number): Promise<Run> {
  const lat: number[] = [];
  let errors = 0;
  let inFlight = 0;
  let sent = 0;
  let acked = 0;
  const start = performance.now();
  const endMs = start + seconds * 1000;
  while (performance.now() < endMs) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due && inFlight < MAX_IN_FLIGHT) {
      sent++;
      inFlight++;
      streamPut((ok, ms) => {
        inFlight--;
        if (!ok) errors++;
        else if (performance.now() <= endMs) {
          acked++;
          lat.push(ms);
        }
      });
    }
    await sleep(2);
  }
  const elapsedS = (performance.now() - start) / 1000;
  while (inFlight > 0) await sleep(10);
  return {
    offered: `${rate} (pipelined)`,
    committedPerS: Math.round(acked / elapsedS),
    p50Ms: round(percentile(lat, 50), 2),
    p99Ms: round(percentile(lat, 99), 2),
    errors,
  };
}

async function closedLoop(concurrency: number): Promise<Run> {
  const lat: number[] = [];
  let errors = 0;
  let acked = 0;
  const start = performance.now();
  const endMs = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < endMs) {
        const { ok, ms } = await new Promise<{ ok: boolean; ms: number }>((r) =>
          put((ok, ms) => r({ ok, ms })),
        );
        if (!ok) errors++;
        else if (performance.now() <= endMs) {
          acked++;
          lat.push(ms);
        }
      }
    }),
  );
  const elapsedS = (performance.now() - start) / 1000;
  return {
    offered: `closed loop, ${concurrency} unary calls in flight`,
    committedPerS: Math.round(acked / elapsedS),
    p50Ms: round(percentile(lat, 50), 2),
    p99Ms: round(percentile(lat, 99), 2),
    errors,
  };
}

const runs: Run[] = [];
openStreams();
try {
  await openLoop(200); // warm-up: connections, JIT
  for (const rate of RATES) {
    runs.push(await openLoop(rate));
    if (!json) process.stderr.write(`  offered ${rate}/s: ${JSON.stringify(runs[runs.length - 1])}\n`);
  }
  runs.push(await closedLoop(CLOSED_LOOP_IN_FLIGHT));
} finally {
  for (const s of streams) s.stream.end();
  for (const c of channels) c.close();
  await cluster.stop();
}

const metrics: Record<string, number> = {
  max_committed_per_s: Math.max(...runs.map((r) => r.committedPerS)),
  payload_bytes: PAYLOAD.length,
  seconds_per_load: seconds,
};
for (const r of runs) {
  const key = r.offered.startsWith("closed") ? "closed_unary" : `offered_${r.offered.split(" ")[0]}`;
  metrics[`${key}_committed_per_s`] = r.committedPerS;
  metrics[`${key}_p50_ms`] = r.p50Ms;
  metrics[`${key}_p99_ms`] = r.p99Ms;
  metrics[`${key}_errors`] = r.errors;
}
process.stdout.write("raft-throughput: 3 processes, fsync on, 256-byte puts to the leader\n");
process.stdout.write(
  `${table(
    ["offered writes/s", "committed/s", "p50 ms", "p99 ms", "errors"],
    runs.map((r) => [r.offered, r.committedPerS, r.p50Ms, r.p99Ms, r.errors]),
  )}\n`,
);
for (const [why, n] of failures) process.stdout.write(`failed puts: ${n} × ${why}\n`);
if (json)
  process.stdout.write(
    `${JSON.stringify({ bench: "raft-throughput", metrics, env: benchEnv({ fsync: true, processes: 3 }) })}\n`,
  );
