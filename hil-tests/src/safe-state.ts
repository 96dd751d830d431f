// Every relay goes to its safe state when the driver exits or crashes. Two layers: handlers in this process
// (exit, SIGTERM, SIGINT, SIGHUP, an uncaught exception) apply the safe actions synchronously; a watchdog
// child (safe-state-watchdog.mjs, plain JavaScript, its own process group) holds a pipe from this process and
// applies the same actions when the pipe closes — which the kernel does however this process ends, SIGKILL
// and out-of-memory kills included.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** One serialisable step towards the safe state. */
export type SafeAction =
  | { kind: "sysfs"; valuePath: string; value: 0 | 1 }
  | { kind: "exec"; command: string; args: string[] }
  /** simulated rigs: a board's power is its processes; off = SIGKILL to its process group */
  | { kind: "kill"; pgid: number };

export const WATCHDOG_MAIN = join(import.meta.dirname, "safe-state-watchdog.mjs");

/** Applies every action, synchronously, never throwing (one failure does not stop the others). */
export function applySafeActions(actions: SafeAction[]): string[] {
  const failures: string[] = [];
  for (const a of actions) {
    try {
      if (a.kind === "sysfs") writeFileSync(a.valuePath, String(a.value));
      else if (a.kind === "exec") execFileSync(a.command, a.args, { stdio: "ignore", timeout: 5000 });
      else if (a.pgid > 0) process.kill(-a.pgid, "SIGKILL");
    } catch (err) {
      if (a.kind !== "kill") failures.push(`${JSON.stringify(a)}: ${(err as Error).message}`);
    }
  }
  return failures;
}

const SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/**
 * Keeps the safe actions of every switch the driver opened, in this process and in the watchdog. `update`
 * after a switch is added or its action changes (a simulated board's process group changes on every boot).
 */
export class SafeStateGuard {
  #actions: SafeAction[] = [];
  #watchdog: ChildProcess | undefined;
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.applyNow();
    this.#uninstall();
    process.kill(process.pid, signal);
  };
  readonly #onExit = () => this.applyNow();
  readonly #onCrash = (err: unknown) => {
    this.applyNow();
    process.stderr.write(
      `hil driver crashed; every relay is in its safe state: ${String((err as Error)?.stack ?? err)}\n`,
    );
    process.exit(1);
  };

  constructor() {
    for (const s of SIGNALS) process.once(s, this.#onSignal);
    process.on("exit", this.#onExit);
    process.on("uncaughtException", this.#onCrash);
    this.#watchdog = spawn(process.execPath, [WATCHDOG_MAIN], {
      stdio: ["pipe", "ignore", "inherit"],
      detached: true, // its own process group: a kill of the driver's group does not take it along
    });
    this.#watchdog.on("error", () => {});
    this.#watchdog.unref();
    (this.#watchdog.stdin as unknown as { unref?: () => void }).unref?.();
  }

  /** The watchdog's PID (tests check that it is gone once the safe state is applied). */
  get watchdogPid(): number | undefined {
    return this.#watchdog?.pid;
  }

  update(actions: SafeAction[]): void {
    this.#actions = actions;
    this.#watchdog?.stdin?.write(`${JSON.stringify(actions)}\n`);
  }

  applyNow(): string[] {
    return applySafeActions(this.#actions);
  }

  #uninstall(): void {
    for (const s of SIGNALS) process.removeListener(s, this.#onSignal);
    process.removeListener("exit", this.#onExit);
    process.removeListener("uncaughtException", this.#onCrash);
  }

  /** A clean shutdown: apply the safe state here, let the watchdog apply it too and exit. */
  close(): void {
    this.applyNow();
    this.#uninstall();
    this.#watchdog?.stdin?.end();
  }
}
