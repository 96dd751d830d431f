// `pnpm bench agent-footprint [--json] [--duration-s 60]`: one agent (the `pnpm build:agent` bundle under plain
// node with the flags it ships with, AGENT_NODE_FLAGS) at 1 Hz with the emulated INA219 and two process
// workloads, against a real nats-server with the region's telemetry stream (JetStream publishes, acks
// awaited). Reports the agent process's peak RSS and average CPU (% of one core) over the run, read from
// /proc. Targets: RSS ≤ 60 MB, CPU ≤ 1 %.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { arch, cpus } from "node:os";
import { join } from "node:path";
import { freePort, REPO_ROOT, startNatsServer, tempDir, waitFor } from "@qonnect/testkit";
import { AGENT_NODE_FLAGS } from "../src/node-flags.js";
import { readProcUsage } from "../src/runtime/proc-usage.js";
import {
  collectTelemetry,
  ensureTelemetryStream,
  sendCommand,
  serviceWorkload,
  writeAgentConfig,
} from "../src/testing.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const durationIdx = args.indexOf("--duration-s");
const durationS = durationIdx >= 0 ? Number(args[durationIdx + 1]) : 60;
const log = (s: string) => process.stderr.write(`${s}\n`);

const built = spawnSync(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts/build-agent.ts")], {
  cwd: REPO_ROOT,
  encoding: "utf8",
});
if (built.status !== 0) throw new Error(`pnpm build:agent failed:\n${built.stderr}`);
const bundle = join(REPO_ROOT, "dist/agent/qonnect-agent.mjs");

const nats = await startNatsServer();
// the region's telemetry stream, as its fog leads create it: the agent publishes through JetStream and waits
// for each acknowledgement before it drops a sample from its spool
await ensureTelemetryStream(nats.url, "bench");
const dir = tempDir("qonnect-bench-agent-");
const config = writeAgentConfig(dir.path, {
  device: "bench-1",
  region: "bench",
  nats: { servers: [nats.url] },
  sensors: "emulate",
  samplePeriodMs: 1000,
  log: { level: "warn" },
});
const agent = spawn(process.execPath, [...AGENT_NODE_FLAGS, bundle, "run", "--config", config], {
  cwd: REPO_ROOT,
  stdio: ["ignore", "ignore", "inherit"],
});
const pid = agent.pid!;
const sub = await collectTelemetry(nats.url, "bench", "bench-1");
try {
  await waitFor(() => sub.samples.length > 0, { what: "the agent's first sample", timeoutMs: 30_000 });
  const [p1, p2] = [await freePort(), await freePort()];
  const ack = await sendCommand(sub.nc, "bench", "bench-1", {
    device: "bench-1",
    token: { term: 1, planVersion: 1 },
    workloads: [
      serviceWorkload("details", p1),
      serviceWorkload("productpage", p2, { calls: [{ service: "details", host: "127.0.0.1", port: p1 }] }),
    ],
    tsMs: Date.now(),
  });
  if (!ack.accepted) throw new Error(`command refused: ${ack.error}`);
  await waitFor(() => sub.samples.at(-1)?.workloads.filter((w) => w.state === 2).length === 2, {
    what: "two running workloads",
  });
  log(`measuring agent pid ${pid} for ${durationS} s ...`);
  const startMs = Date.now();
  const start = (await readProcUsage(pid))!;
  const firstSeq = sub.samples.at(-1)!.seq;
  let peakRssBytes = start.rssBytes;
  let peakUssKb = 0;
  let peakPssKb = 0;
  while (Date.now() - startMs < durationS * 1000) {
    await new Promise((r) => setTimeout(r, 500));
    const u = await readProcUsage(pid);
    if (!u) throw new Error("the agent exited during the benchmark");
    peakRssBytes = Math.max(peakRssBytes, u.rssBytes);
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0);
    peakUssKb = Math.max(peakUssKb, kb("Private_Clean") + kb("Private_Dirty"));
    peakPssKb = Math.max(peakPssKb, kb("Pss"));
  }
  const end = (await readProcUsage(pid))!;
  const wallS = (Date.now() - startMs) / 1000;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  const metrics = {
    rssMB: round(peakRssBytes / 1e6),
    rssHighWaterMB: round((Number(hwm ?? 0) * 1024) / 1e6),
    // RSS counts the node binary's shared pages; USS is what this process alone holds, PSS its fair share
    ussMB: round((peakUssKb * 1024) / 1e6),
    pssMB: round((peakPssKb * 1024) / 1e6),
    cpuPercent: round(((end.cpuSeconds - start.cpuSeconds) / wallS) * 100, 2),
    samples: sub.samples.at(-1)!.seq - firstSeq,
    durationS: round(wallS, 1),
  };
  const targets = { rssMB: 60, cpuPercent: 1 };
  log("");
  log("metric           value    target");
  log(`peak RSS (MB)    ${String(metrics.rssMB).padEnd(8)} ≤ ${targets.rssMB}`);
  log(`RSS HWM (MB)     ${String(metrics.rssHighWaterMB).padEnd(8)} (includes startup)`);
  log(
    `USS / PSS (MB)   ${metrics.ussMB} / ${metrics.pssMB} (private / proportional; RSS includes node's shared pages)`,
  );
  log(`CPU (% of core)  ${String(metrics.cpuPercent).padEnd(8)} ≤ ${targets.cpuPercent}`);
  log(`samples sent     ${metrics.samples} in ${metrics.durationS} s`);
  const env = {
    node: process.version,
    arch: arch(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "",
    bundle: "dist/agent/qonnect-agent.mjs",
    nodeFlags: AGENT_NODE_FLAGS.join(" "),
  };
  if (json) console.log(JSON.stringify({ bench: "agent-footprint", metrics, env }));
} finally {
  agent.kill("SIGTERM");
  await new Promise((r) => agent.once("exit", r));
  await sub.close();
  await nats.stop();
  dir.remove();
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
