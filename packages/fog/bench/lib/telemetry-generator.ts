// The fog-ingest load generator, spread over processes: each worker is a process of its own with its own NATS
// connection and publishes real DeviceRegistration and DeviceTelemetry for its share of the devices at 1 Hz,
// spread over the second in 20 slices (nats.js writes each slice's publishes to the socket together). The bench
// process steers the workers over IPC: start measuring the send gaps, stop devices (answering with each one's
// last sample time), finish (answering with the gaps' p99 and max and the worker's CPU).
import { fork } from "node:child_process";
import { telemetryV1 } from "@qonnect/proto";
import { percentile } from "@qonnect/testkit";
import { connect } from "nats";

export interface GeneratorShard {
  natsUrl: string;
  region: string;
  /** device name → site */
  devices: Record<string, string>;
}

type ToWorker =
  | { t: "shard"; shard: GeneratorShard }
  | { t: "measure"; on: boolean }
  | { t: "stop"; devices: string[] }
  | { t: "finish" };
type FromWorker =
  | { t: "ready" }
  | { t: "stopped"; lastSampleMs: Record<string, number> }
  | { t: "finished"; gapP99Ms: number; gapMaxMs: number; cpuPercent: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function worker(): Promise<void> {
  const send = (m: FromWorker) => process.send?.(m);
  const shard = await new Promise<GeneratorShard>((resolve) =>
    process.once("message", (m: ToWorker) => m.t === "shard" && resolve(m.shard)),
  );
  const nc = await connect({ servers: [shard.natsUrl], name: "fog-ingest-load" });
  const names = Object.keys(shard.devices);
  for (const name of names)
    nc.publish(
      `qonnect.${shard.region}.register.${name}`,
      telemetryV1.DeviceRegistration.encode({
        device: name,
        region: shard.region,
        site: shard.devices[name]!,
        tier: "edge",
        arch: "arm64",
        cpuModel: "sim",
        cpuCores: 4,
        memoryBytes: 4 * 2 ** 30,
        gpus: 0,
        sensors: ["ina219"],
        runtime: "process",
        labels: {},
        agentVersion: "bench",
        tsMs: Date.now(),
      }).finish(),
    );
  const stopped = new Set<string>();
  const lastSample = new Map<string, number>();
  const seq = new Map<string, number>();
  let running = true;
  let measuring = false;
  const gaps: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  process.on("message", (m: ToWorker) => {
    if (m.t === "measure") measuring = m.on;
    else if (m.t === "stop") {
      for (const d of m.devices) stopped.add(d);
      send({
        t: "stopped",
        lastSampleMs: Object.fromEntries(m.devices.map((d) => [d, lastSample.get(d) ?? Date.now()])),
      });
    } else if (m.t === "finish") running = false;
  });
  send({ t: "ready" });
  let slice = 0;
  while (running) {
    const start = Date.now();
    for (let i = slice; i < names.length; i += 20) {
      const name = names[i]!;
      if (stopped.has(name)) continue;
      const s = (seq.get(name) ?? 0) + 1;
      seq.set(name, s);
      const now = Date.now();
      nc.publish(
        `qonnect.${shard.region}.telemetry.${name}`,
        telemetryV1.DeviceTelemetry.encode({
          device: name,
          region: shard.region,
          tsMs: now,
          seq: s,
          late: false,
          powerW: 3 + (i % 7) / 10,
          powerSource: telemetryV1.PowerSource.POWER_SOURCE_MEASURED,
          busVoltageV: 5.1,
          currentA: 0.6,
          cpuUtil: 0.1,
          memoryUsedBytes: 2 ** 30,
          memoryTotalBytes: 4 * 2 ** 30,
          workloads: [],
          solarExcessW: 0,
        }).finish(),
      );
      const prev = lastSample.get(name);
      if (prev !== undefined && measuring) gaps.push(now - prev);
      lastSample.set(name, now);
    }
    slice = (slice + 1) % 20;
    await sleep(Math.max(0, 50 - (Date.now() - start)));
  }
  await nc.drain();
  const cpu = process.cpuUsage(cpu0);
  send({
    t: "finished",
    gapP99Ms: Math.round(percentile(gaps, 99)),
    gapMaxMs: gaps.reduce((m, g) => Math.max(m, g), 0),
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (Date.now() - t0)) * 100,
  });
  process.exit(0);
}

/** Worker processes that share the devices between them. */
export class GeneratorPool {
  private constructor(private readonly workers: ReturnType<typeof fork>[]) {}

  static async start(shards: GeneratorShard[]): Promise<GeneratorPool> {
    const workers = shards.map((shard) => {
      const w = fork(import.meta.filename, ["--worker"], { execArgv: process.execArgv, stdio: "inherit" });
      w.send({ t: "shard", shard } satisfies ToWorker);
      return w;
    });
    await Promise.all(workers.map((w) => next(w, "ready")));
    return new GeneratorPool(workers);
  }

  measure(on: boolean): void {
    for (const w of this.workers) w.send({ t: "measure", on } satisfies ToWorker);
  }

  /** Stops devices (each in the worker that sends it); their last sample times. */
  async stop(byWorker: Map<number, string[]>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [i, devices] of byWorker) {
      const w = this.workers[i]!;
      const reply = next(w, "stopped");
      w.send({ t: "stop", devices } satisfies ToWorker);
      const r = (await reply) as Extract<FromWorker, { t: "stopped" }>;
      for (const [d, ms] of Object.entries(r.lastSampleMs)) out.set(d, ms);
    }
    return out;
  }

  /** Ends every worker; the worst p99 and max send gap and the workers' CPU (percent of one core, summed). */
  async finish(): Promise<{ gapP99Ms: number; gapMaxMs: number; cpuPercent: number }> {
    const replies = await Promise.all(
      this.workers.map((w) => {
        const r = next(w, "finished");
        w.send({ t: "finish" } satisfies ToWorker);
        return r as Promise<Extract<FromWorker, { t: "finished" }>>;
      }),
    );
    return {
      gapP99Ms: Math.max(...replies.map((r) => r.gapP99Ms)),
      gapMaxMs: Math.max(...replies.map((r) => r.gapMaxMs)),
      cpuPercent: replies.reduce((s, r) => s + r.cpuPercent, 0),
    };
  }

  kill(): void {
    for (const w of this.workers) if (w.exitCode === null) w.kill("SIGKILL");
  }
}

function next(w: ReturnType<typeof fork>, t: FromWorker["t"]): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.t !== t) return;
      w.off("message", onMessage);
      w.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`generator worker exited (${code}) before "${t}"`));
    w.on("message", onMessage);
    w.once("exit", onExit);
  });
}

if (process.argv.includes("--worker")) await worker();
