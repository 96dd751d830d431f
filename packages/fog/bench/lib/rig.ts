// A region on one machine as real processes, for the fog tests and benchmarks: a real nats-server, fog leads
// (`qonnect-fog run --config fog.yaml`, bundled once with esbuild) and device agents (the real agent, bundled
// once, emulated INA219 and the process runtime), each agent the head of its own process tree. Killing a
// device is SIGKILL to its whole tree (agent and workloads: the process runtime puts each workload in a
// session of its own, so a process-group kill would miss them), as a power cut would.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { freePort, KbDouble, type NatsServer, SummarySubscriber, startNatsServer } from "@qonnect/testkit";
import { connect, type NatsConnection } from "nats";

const root = resolve(import.meta.dirname, "../../../..");
const bundles = new Map<string, string>();

/** Bundles an entry point into one ESM file (once per process). */
export function bundle(entry: string, name: string): string {
  const hit = bundles.get(name);
  if (hit && existsSync(hit)) return hit;
  const dir = mkdtempSync(join(tmpdir(), `qonnect-${name}-`));
  const out = join(dir, `${name}.mjs`);
  execFileSync(
    join(root, "node_modules/.bin/esbuild"),
    [
      join(root, entry),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      `--outfile=${out}`,
      "--log-level=error",
      "--external:i2c-bus",
      "--external:epoll",
      "--external:onoff",
      "--banner:js=import { createRequire as __qcr } from 'node:module'; const require = __qcr(import.meta.url);",
    ],
    { stdio: "pipe" },
  );
  // native modules cannot be bundled: ship them beside the bundle (the Raft WAL's flock needs fs-ext)
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  const raftRequire = createRequire(join(root, "packages/raft/package.json"));
  symlinkSync(dirname(raftRequire.resolve("fs-ext/package.json")), join(dir, "node_modules", "fs-ext"));
  bundles.set(name, out);
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return out;
}

export interface RigOptions {
  leads?: number;
  /** device name → site */
  devices: Record<string, string>;
  region?: string;
  heartbeatMs?: number;
  electionMs?: number;
  /** Extra fog.yaml lines (e.g. a detector block). */
  fogExtra?: string;
  /** Address nats-server listens on (default 127.0.0.1); a netns test uses a veth address. */
  natsHost?: string;
  /** Command prefix per device (e.g. `ip netns exec NS`). */
  wrapAgent?: (device: string) => string[];
  samplePeriodMs?: number;
}

interface Proc {
  child: ChildProcess;
  log: string;
}

/** PIDs of `pid` and all its descendants (from /proc). */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

export class RegionRig {
  readonly region: string;
  readonly leadAddr = new Map<number, string>();
  readonly leadHttp = new Map<number, number>();
  private readonly leadProcs = new Map<number, Proc>();
  private readonly agentProcs = new Map<string, Proc>();
  /** Latest telemetry workloads per device, as the devices report them. */
  readonly reported = new Map<string, { tsMs: number; running: string[] }>();
  kb!: KbDouble;
  summaries!: SummarySubscriber;
  private watcher!: NatsConnection;

  private constructor(
    readonly o: RigOptions,
    readonly dir: string,
    readonly nats: NatsServer,
    readonly natsUrl: string,
  ) {
    this.region = o.region ?? "r1";
  }

  static async start(o: RigOptions, nats?: { server: NatsServer; url: string }): Promise<RegionRig> {
    const dir = mkdtempSync(join(tmpdir(), "qonnect-fog-rig-"));
    const server = nats?.server ?? (await startNatsServer({ jetstream: false }));
    const rig = new RegionRig(o, dir, server, nats?.url ?? server.url);
    for (let id = 1; id <= (o.leads ?? 3); id++) {
      rig.leadAddr.set(id, `127.0.0.1:${await freePort()}`);
      rig.leadHttp.set(id, await freePort());
    }
    rig.kb = new KbDouble([...rig.leadAddr.values()], { timeoutMs: 30_000 });
    rig.summaries = await SummarySubscriber.start([rig.natsUrl], rig.region);
    rig.watcher = await connect({ servers: [rig.natsUrl] });
    rig.watcher.subscribe(`qonnect.${rig.region}.telemetry.*`, {
      callback: (err, msg) => {
        if (err) return;
        const t = telemetryV1.DeviceTelemetry.decode(msg.data);
        if (t.late) return;
        const running = t.workloads
          .filter((w) => w.state === telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING)
          .map((w) => `${w.app}/${w.service}/${w.replica}`);
        rig.reported.set(t.device, { tsMs: Date.now(), running });
      },
    });
    return rig;
  }

  fogConfigPath(id: number): string {
    return join(this.dir, `fog${id}.yaml`);
  }

  writeFogConfig(id: number, extra = ""): string {
    const peers = [...this.leadAddr].map(([i, a]) => `"${i}": ${a}`).join(", ");
    const lines = [
      `region: ${this.region}`,
      `member: ${id}`,
      `listen: ${this.leadAddr.get(id)}`,
      `peers: { ${peers} }`,
      `dataDir: ${join(this.dir, `fog${id}`)}`,
      `nats: { servers: ["${this.natsUrl}"] }`,
      "insecure: true",
      `http: 127.0.0.1:${this.leadHttp.get(id)}`,
      `raft: { heartbeatMs: ${this.o.heartbeatMs ?? 100}, electionMs: ${this.o.electionMs ?? 800} }`,
      "summary: { intervalMs: 1000 }",
      "execution: { commandTimeoutMs: 3000, initialBackoffMs: 200, maxBackoffMs: 2000 }",
      "workloads: { loopbackPortBase: 21000 }",
      "log: { level: info }",
    ];
    // extra top-level lines replace the defaults of the same key
    const keyOf = (l: string) => l.slice(0, l.indexOf(":"));
    for (const l of [...(this.o.fogExtra ?? "").split("\n"), ...extra.split("\n")].filter((x) => x.trim())) {
      const i = lines.findIndex((x) => keyOf(x) === keyOf(l));
      if (i >= 0) lines[i] = l;
      else lines.push(l);
    }
    const text = lines.join("\n");
    writeFileSync(this.fogConfigPath(id), text);
    return this.fogConfigPath(id);
  }

  startLead(id: number): void {
    if (this.leadProcs.has(id)) throw new Error(`fog lead ${id} runs already`);
    if (!existsSync(this.fogConfigPath(id))) this.writeFogConfig(id);
    const fog = bundle("packages/fog/src/main.ts", "fog");
    const log = join(this.dir, `fog${id}.log`);
    const child = spawn(process.execPath, [fog, "run", "--config", this.fogConfigPath(id)], {
      stdio: ["ignore", "ignore", openSync(log, "a")],
    });
    child.on("exit", () => {
      if (this.leadProcs.get(id)?.child === child) this.leadProcs.delete(id);
    });
    this.leadProcs.set(id, { child, log });
  }

  async killLead(id: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.killProc(this.leadProcs.get(id), signal, false);
    this.leadProcs.delete(id);
  }

  leadLog(id: number): string {
    const f = join(this.dir, `fog${id}.log`);
    return existsSync(f) ? readFileSync(f, "utf8") : "";
  }

  startAgent(device: string): void {
    const site = this.o.devices[device];
    if (!site) throw new Error(`no device ${device} in the rig`);
    const agent = bundle("packages/agent/src/main.ts", "agent");
    const workDir = join(this.dir, "work");
    mkdirSync(workDir, { recursive: true });
    const config = join(this.dir, `${device}.yaml`);
    writeFileSync(
      config,
      [
        `device: ${device}`,
        `region: ${this.region}`,
        `site: ${site}`,
        "tier: edge",
        `nats: { servers: ["${this.natsUrl}"], reconnectWaitMs: 200 }`,
        "sensors: { mode: emulate, emulate: { busVoltageV: 5.1, currentA: 0.6, shuntOhms: 0.1 } }",
        `runtime: { kind: process, workDir: ${JSON.stringify(workDir)}, stopGraceMs: 1000 }`,
        "power: { idleW: 3, maxW: 8, gamma: 1 }",
        `samplePeriodMs: ${this.o.samplePeriodMs ?? 1000}`,
        `dataDir: ${JSON.stringify(join(this.dir, `agent-${device}`))}`,
        "http: { host: 127.0.0.1, port: 0 }",
        "log: { level: warn }",
      ].join("\n"),
    );
    const log = join(this.dir, `${device}.log`);
    const fd = openSync(log, "a");
    const cmd = [...(this.o.wrapAgent?.(device) ?? []), process.execPath, agent, "run", "--config", config];
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", fd, fd] });
    child.on("exit", () => {
      if (this.agentProcs.get(device)?.child === child) this.agentProcs.delete(device);
    });
    this.agentProcs.set(device, { child, log });
  }

  /** SIGKILL to the device's whole process tree: its agent and every workload. */
  async killDevice(device: string): Promise<void> {
    await this.killProc(this.agentProcs.get(device), "SIGKILL", true);
    this.agentProcs.delete(device);
    this.reported.delete(device);
  }

  private async killProc(p: Proc | undefined, signal: NodeJS.Signals, tree: boolean): Promise<void> {
    const child = p?.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    const pids = tree ? processTree(child.pid) : [child.pid];
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await exited;
    // the workloads are not our children: wait until each is gone (or a zombie) before calling the device dead
    const gone = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 200 && !pids.every(gone); i++) await new Promise((r) => setTimeout(r, 25));
  }

  leadPid(id: number): number | undefined {
    return this.leadProcs.get(id)?.child.pid;
  }

  runningLeads(): number[] {
    return [...this.leadProcs.keys()];
  }

  /** replica key → devices that report it running (from telemetry no older than maxAgeMs). */
  copies(maxAgeMs = 3000): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const now = Date.now();
    for (const [device, r] of this.reported) {
      if (now - r.tsMs > maxAgeMs) continue;
      for (const k of r.running) out.set(k, [...(out.get(k) ?? []), device]);
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const d of [...this.agentProcs.keys()]) await this.killDevice(d);
    for (const id of [...this.leadProcs.keys()]) await this.killLead(id, "SIGKILL");
    this.kb.close();
    await this.summaries.close();
    await this.watcher.close();
    await this.nats.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
