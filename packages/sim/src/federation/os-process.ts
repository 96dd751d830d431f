// One OS process of a simulated federation (a Knowledge Base, a fog lead, a device), started in its own
// process group with its output in a log file, stopped and killed by PID. A device runs in a PID namespace
// of its own where the system allows it (root): killing the namespace's first process makes the kernel kill
// every process inside, workloads included, exactly as a power cut would (DESIGN.md §5 "Killing a device").
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface OsProcessOptions {
  /** Shown in messages: "kb", "fog eu-central/2", "device pi5-berlin-a". */
  label: string;
  command: string;
  args: string[];
  /** stdout and stderr go here (appended). */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run inside a new PID namespace (needs root and util-linux `unshare`); falls back to a plain group. */
  pidNamespace?: boolean;
  /** A command prefix that exec()s the rest, e.g. `ip netns exec NS` to run inside a network namespace. */
  wrap?: string[];
}

let unshareWorks: boolean | undefined;
/** True when `unshare --pid --fork` works here (root, util-linux present). Checked once. */
export function pidNamespacesAvailable(): boolean {
  if (unshareWorks === undefined) {
    const probe = spawnSync("unshare", ["--pid", "--fork", "--kill-child", "true"], { stdio: "ignore" });
    unshareWorks = probe.status === 0;
  }
  return unshareWorks;
}

export class ProcessExitedError extends Error {
  override name = "ProcessExitedError";
  constructor(
    readonly label: string,
    readonly code: number | null,
    readonly logTail: string,
  ) {
    super(`${label} exited (code ${code}) before it was ready; its log ends with:\n${logTail}`);
  }
}

export class OsProcess {
  readonly child: ChildProcess;
  /** The process group, equal to the spawned process's PID (it leads its own group). */
  readonly pgid: number;
  readonly inPidNamespace: boolean;
  #exit: Promise<number | null>;

  constructor(readonly options: OsProcessOptions) {
    const fd = openSync(options.logFile, "a");
    const ns = options.pidNamespace === true && pidNamespacesAvailable();
    const inner = ns
      ? ["unshare", "--pid", "--fork", "--kill-child", options.command, ...options.args]
      : [options.command, ...options.args];
    const [command, ...args] = [...(options.wrap ?? []), ...inner] as [string, ...string[]];
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", fd, fd],
      detached: true, // its own process group: the whole device (or server) is signalled at once
    });
    closeSync(fd);
    this.inPidNamespace = ns;
    this.pgid = this.child.pid ?? -1;
    this.#exit = new Promise((resolve) => {
      this.child.once("exit", (code) => resolve(code));
      this.child.once("error", () => resolve(null));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get label(): string {
    return this.options.label;
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last `lines` lines of its log. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.options.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  /** Resolves with the exit code (null when killed by a signal). */
  exited(): Promise<number | null> {
    return this.#exit;
  }

  /** Signals the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running()) return;
    try {
      process.kill(-this.pgid, signal);
    } catch {
      // already gone
    }
  }

  /** True while any process of its group is left (the group outlives its leader until the last one exits). */
  groupAlive(): boolean {
    try {
      process.kill(-this.pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }

  /**
   * Waits until no process of its group is left, SIGKILLing whatever still is (a workload that outlived its
   * agent); resolves false when some remain after `timeoutMs`.
   */
  async reapGroup(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.groupAlive()) {
      if (Date.now() > deadline) return false;
      try {
        process.kill(-this.pgid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  /** SIGKILL to the whole group: a power cut. */
  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.#exit;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running()) return;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.#exit;
    clearTimeout(timer);
  }
}
