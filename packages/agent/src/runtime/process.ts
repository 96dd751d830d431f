import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { CpuRate, readProcUsage } from "./proc-usage.js";
import { type Runtime, RuntimeError, workloadFingerprint, workloadKey } from "./runtime.js";
import { Watchdog } from "./watchdog.js";

const { WorkloadState } = telemetryV1;

export interface ProcessRuntimeOptions {
  /** working directory of the workloads */
  workDir: string;
  /** where each workload's stdout/stderr go: <logDir>/<app>_<service>_<replica>.log (rotated at logMaxBytes) */
  logDir: string;
  /** SIGTERM, then SIGKILL after this long */
  stopGraceMs: number;
  /** restart backoff: first delay, doubled per consecutive crash up to maxBackoffMs */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** a run this long resets the backoff */
  healthyAfterMs?: number;
  logMaxBytes?: number;
  /** events for the agent's log: started, exited, restarting, stopped */
  onEvent?: (event: ProcessEvent) => void;
  /** run workloads under another uid with resource limits (the agent needs CAP_SETUID/CAP_SETGID) */
  sandbox?: WorkloadSandbox;
}

/**
 * Confinement of process-runtime workloads: their own uid/gid (so they cannot read the agent's 0600 state and
 * credentials) and rlimits applied with util-linux `prlimit` before exec — the fallback of DESIGN.md §10 where
 * no cgroup v2 delegation is available (these test machines have only the fallback).
 */
export interface WorkloadSandbox {
  uid: number;
  gid: number;
  /** RLIMIT_AS: address space per process */
  addressSpaceBytes?: number;
  /** RLIMIT_NPROC: processes of the workload uid */
  processes?: number;
  /** RLIMIT_CPU: CPU seconds per process */
  cpuSeconds?: number;
  /** RLIMIT_NOFILE */
  openFiles?: number;
}

/** The argv that applies a sandbox's rlimits before running `command`. */
export function sandboxedCommand(sandbox: WorkloadSandbox | undefined, command: string[]): string[] {
  if (!sandbox) return command;
  const limits = [
    sandbox.addressSpaceBytes !== undefined ? `--as=${sandbox.addressSpaceBytes}` : undefined,
    sandbox.processes !== undefined ? `--nproc=${sandbox.processes}` : undefined,
    sandbox.cpuSeconds !== undefined ? `--cpu=${sandbox.cpuSeconds}` : undefined,
    sandbox.openFiles !== undefined ? `--nofile=${sandbox.openFiles}` : undefined,
  ].filter((x): x is string => x !== undefined);
  return limits.length ? ["prlimit", ...limits, "--", ...command] : command;
}

export interface ProcessEvent {
  workload: string;
  kind: "started" | "exited" | "stopped" | "spawn-failed";
  pid?: number;
  code?: number | null;
  signal?: string | null;
  restarts?: number;
  backoffMs?: number;
}

/** One supervised workload: its spec, current child, restart bookkeeping and captured output. */
interface Supervised {
  key: string;
  spec: telemetryV1.WorkloadSpec;
  fingerprint: string;
  child?: ChildProcess;
  state: telemetryV1.WorkloadState;
  restarts: number;
  crashStreak: number;
  startedAtMs: number;
  message: string;
  /** the last line the current run wrote to stderr, quoted in `message` when it exits */
  lastStderr: string;
  restartTimer?: NodeJS.Timeout;
  stopping: boolean;
  cpu: CpuRate;
  log: WriteStream;
  logBytes: number;
  logFile: string;
}

/**
 * Runs each workload's `command` as a supervised child in its own process group, with PORT,
 * QONNECT_APP, QONNECT_SERVICE, QONNECT_REPLICA and QONNECT_CALLS ("name=host:port,...") in its environment.
 * Children that exit are restarted with exponential backoff; a watchdog kills them if the agent dies.
 */
export class ProcessRuntime implements Runtime {
  readonly kind = "process" as const;
  private readonly workloads = new Map<string, Supervised>();
  private readonly watchdog: Watchdog;
  private closed = false;

  constructor(private readonly options: ProcessRuntimeOptions) {
    mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
    if (options.sandbox) {
      // the workloads' own working directory; the agent's state and logs stay 0700 to the agent
      mkdirSync(options.workDir, { recursive: true });
      chownSync(options.workDir, options.sandbox.uid, options.sandbox.gid);
    }
    this.watchdog = new Watchdog(options.stopGraceMs);
  }

  /** PIDs of the running children (for tests and the status page). */
  pids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, w] of this.workloads)
      if (w.child?.pid && w.child.exitCode === null) out.set(key, w.child.pid);
    return out;
  }

  async apply(desired: telemetryV1.WorkloadSpec[]): Promise<void> {
    if (this.closed) throw new RuntimeError("the process runtime is closed");
    for (const spec of desired)
      if (spec.command.length === 0)
        throw new RuntimeError("has no command; the process runtime runs `command`", workloadKey(spec));
    const wanted = new Map(desired.map((s) => [workloadKey(s), s]));
    const stops: Promise<void>[] = [];
    for (const [key, w] of this.workloads) {
      const spec = wanted.get(key);
      if (!spec || workloadFingerprint(spec) !== w.fingerprint) {
        this.workloads.delete(key);
        stops.push(this.stop(w));
      } else w.spec = spec; // plan id changes do not restart
    }
    await Promise.all(stops);
    for (const [key, spec] of wanted) if (!this.workloads.has(key)) this.start(key, spec);
  }

  async status(): Promise<telemetryV1.WorkloadStatus[]> {
    const nowMs = Date.now();
    return Promise.all(
      [...this.workloads.values()].map(async (w) => {
        const pid = w.child?.exitCode === null ? w.child.pid : undefined;
        if (pid && nowMs - w.startedAtMs >= (this.options.healthyAfterMs ?? 10_000)) w.message = "";
        const usage = pid ? await readProcUsage(pid) : undefined;
        return telemetryV1.WorkloadStatus.fromPartial({
          app: w.spec.app,
          service: w.spec.service,
          replica: w.spec.replica,
          state: w.state,
          cpuCores: usage ? w.cpu.update(usage.cpuSeconds, nowMs) : 0,
          memoryBytes: usage?.rssBytes ?? 0,
          restarts: w.restarts,
          message: w.message,
        });
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.workloads.values()];
    this.workloads.clear();
    await Promise.all(all.map((w) => this.stop(w)));
    this.watchdog.close();
  }

  private start(key: string, spec: telemetryV1.WorkloadSpec): void {
    const logFile = join(this.options.logDir, `${key.replaceAll("/", "_")}.log`);
    const w: Supervised = {
      key,
      spec,
      fingerprint: workloadFingerprint(spec),
      state: WorkloadState.WORKLOAD_STATE_PENDING,
      restarts: 0,
      crashStreak: 0,
      startedAtMs: 0,
      message: "",
      lastStderr: "",
      stopping: false,
      cpu: new CpuRate(),
      log: createWriteStream(logFile, { flags: "a" }),
      logBytes: fileSize(logFile),
      logFile,
    };
    w.log.on("error", () => {});
    this.workloads.set(key, w);
    this.spawn(w);
  }

  private spawn(w: Supervised): void {
    const [file, ...args] = sandboxedCommand(this.options.sandbox, w.spec.command);
    let child: ChildProcess;
    try {
      child = spawn(file!, args, {
        cwd: this.options.workDir,
        env: workloadEnv(w.spec),
        detached: true, // own process group: stop() and the watchdog signal the whole group
        stdio: ["ignore", "pipe", "pipe"],
        ...(this.options.sandbox ? { uid: this.options.sandbox.uid, gid: this.options.sandbox.gid } : {}),
      });
    } catch (err) {
      // an argument Node refuses (commands are checked before, this is the last line): this workload fails alone
      w.state = WorkloadState.WORKLOAD_STATE_FAILED;
      w.message = `cannot start: ${(err as Error).message}`.slice(0, 200);
      this.options.onEvent?.({ workload: w.key, kind: "spawn-failed" });
      return;
    }
    w.child = child;
    w.startedAtMs = Date.now();
    if (child.pid) this.watchdog.watch(child.pid);
    child.stdout?.on("data", (chunk: Buffer) => this.capture(w, chunk));
    child.stderr?.on("data", (chunk: Buffer) => {
      this.capture(w, chunk);
      const last = chunk.toString().trim().split("\n").pop();
      if (last) w.lastStderr = last.slice(0, 200);
    });
    child.once("spawn", () => {
      w.state = WorkloadState.WORKLOAD_STATE_RUNNING;
      this.options.onEvent?.({ workload: w.key, kind: "started", pid: child.pid, restarts: w.restarts });
    });
    child.once("error", (err) => {
      w.message = err.message;
      this.options.onEvent?.({ workload: w.key, kind: "spawn-failed" });
    });
    child.once("close", (code, signal) => this.exited(w, child, code, signal));
  }

  private exited(w: Supervised, child: ChildProcess, code: number | null, signal: string | null): void {
    if (child.pid) this.watchdog.unwatch(child.pid);
    if (w.child !== child) return;
    w.child = undefined;
    if (w.stopping || this.closed) {
      w.state = WorkloadState.WORKLOAD_STATE_STOPPED;
      return;
    }
    // the group may still hold grandchildren of the dead leader
    if (child.pid) killGroup(child.pid, "SIGKILL");
    const healthyAfterMs = this.options.healthyAfterMs ?? 10_000;
    w.crashStreak = Date.now() - w.startedAtMs >= healthyAfterMs ? 1 : w.crashStreak + 1;
    const backoffMs = Math.min(
      this.options.maxBackoffMs ?? 30_000,
      (this.options.minBackoffMs ?? 250) * 2 ** (w.crashStreak - 1),
    );
    const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
    w.message = w.lastStderr ? `${reason}: ${w.lastStderr}` : reason;
    w.lastStderr = "";
    w.state = WorkloadState.WORKLOAD_STATE_RESTARTING;
    this.options.onEvent?.({
      workload: w.key,
      kind: "exited",
      code,
      signal,
      restarts: w.restarts,
      backoffMs,
    });
    w.restartTimer = setTimeout(() => {
      w.restartTimer = undefined;
      if (w.stopping || this.closed) return;
      w.restarts++;
      this.spawn(w); // the last error stays in `message` until the new run has been healthy a while
    }, backoffMs);
  }

  private async stop(w: Supervised): Promise<void> {
    w.stopping = true;
    if (w.restartTimer) clearTimeout(w.restartTimer);
    const child = w.child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
      killGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(child.pid!, "SIGKILL"), this.options.stopGraceMs);
      await closed;
      clearTimeout(timer);
      killGroup(child.pid, "SIGKILL"); // anything left in the group
    }
    w.state = WorkloadState.WORKLOAD_STATE_STOPPED;
    this.options.onEvent?.({ workload: w.key, kind: "stopped" });
    await new Promise<void>((resolve) => w.log.end(resolve));
  }

  private capture(w: Supervised, chunk: Buffer): void {
    const max = this.options.logMaxBytes ?? 1024 * 1024;
    if (w.logBytes + chunk.length > max) {
      // rotate: keep one previous file
      w.log.end();
      try {
        renameSync(w.logFile, `${w.logFile}.1`);
      } catch {
        // nothing to rotate
      }
      w.log = createWriteStream(w.logFile, { flags: "a" });
      w.log.on("error", () => {});
      w.logBytes = 0;
    }
    w.log.write(chunk);
    w.logBytes += chunk.length;
  }
}

/** The environment a workload sees: a small base (PATH, HOME, LANG), its spec's env, and qonnect's variables. */
export function workloadEnv(spec: telemetryV1.WorkloadSpec): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of ["PATH", "HOME", "LANG", "TZ"])
    if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, spec.env);
  if (spec.ports[0] !== undefined) env["PORT"] = String(spec.ports[0]);
  env["QONNECT_APP"] = spec.app;
  env["QONNECT_SERVICE"] = spec.service;
  env["QONNECT_REPLICA"] = String(spec.replica);
  env["QONNECT_CALLS"] = spec.calls.map((c) => `${c.service}=${c.host}:${c.port}`).join(",");
  return env;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
