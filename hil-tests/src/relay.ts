// The power relay of one board. `SysfsRelay` drives the line through onoff (sysfs GPIO, by the global number
// gpio-line.ts computes from the chip's dynamic base); `GpiosetRelay` holds it with libgpiod's `gpioset`
// where sysfs GPIO is absent. Both know their safe state as a serialisable action (safe-state.ts), so the
// guard can apply it from a signal handler or a watchdog process after this one died.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { GpioLine } from "./gpio-line.js";
import type { RelaySpec } from "./rig-manifest.js";
import type { SafeAction } from "./safe-state.js";

/** Switches one board's power. `on` is the board's power, not the pin level. */
export interface PowerSwitch {
  readonly board: string;
  readonly on: boolean;
  set(on: boolean): Promise<void>;
  /** What puts this switch in its safe state, for the signal handlers and the watchdog. */
  safeAction(): SafeAction;
  close(): Promise<void>;
}

/** Relay energised (logical pin level, before active-low) for a board power state. */
export function energisedFor(spec: RelaySpec, on: boolean): boolean {
  return spec.normallyOpen ? on : !on;
}

interface OnoffGpio {
  writeSync(value: 0 | 1): void;
  unexport(): void;
}

const require = createRequire(import.meta.url);

export class SysfsRelay implements PowerSwitch {
  #on: boolean;
  readonly #gpio: OnoffGpio;

  /** Exports the line at its safe state (a glitch-free start: direction high/low sets the level at once). */
  constructor(
    readonly board: string,
    readonly spec: RelaySpec,
    readonly line: GpioLine & { sysfsNumber: number },
  ) {
    const { Gpio } = require("onoff") as { Gpio: new (n: number, dir: string, o: object) => OnoffGpio };
    this.#on = spec.safeState === "on";
    const energised = energisedFor(spec, this.#on);
    // direction "high"/"low" is a raw (physical) level in the kernel; value writes honour active_low
    const physicalHigh = spec.activeLow ? !energised : energised;
    this.#gpio = new Gpio(line.sysfsNumber, physicalHigh ? "high" : "low", { activeLow: spec.activeLow });
    this.#gpio.writeSync(energised ? 1 : 0);
  }

  get on(): boolean {
    return this.#on;
  }

  async set(on: boolean): Promise<void> {
    this.#gpio.writeSync(energisedFor(this.spec, on) ? 1 : 0);
    this.#on = on;
  }

  safeAction(): SafeAction {
    return {
      kind: "sysfs",
      valuePath: `/sys/class/gpio/gpio${this.line.sysfsNumber}/value`,
      value: energisedFor(this.spec, this.spec.safeState === "on") ? 1 : 0,
    };
  }

  /** Leaves the line exported at its safe state (unexporting would let it float). */
  async close(): Promise<void> {
    await this.set(this.spec.safeState === "on");
  }
}

/** libgpiod's major version (1.x and 2.x take different arguments). */
export function gpiosetMajorVersion(): number {
  try {
    const out = execFileSync("gpioset", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return Number(/v?(\d+)\.\d+/.exec(out)?.[1] ?? 1);
  } catch {
    return 1;
  }
}

/** `gpioset` arguments that set one line and, with `hold`, keep holding it until signalled. */
export function gpiosetArgs(
  line: GpioLine,
  activeLow: boolean,
  value: 0 | 1,
  hold: boolean,
  major: number,
): string[] {
  if (major >= 2)
    return [
      ...(hold ? [] : ["--toggle", "0"]),
      "--chip",
      line.chipDevice,
      ...(activeLow ? ["-l"] : []),
      `${line.offset}=${value}`,
    ];
  return [
    `--mode=${hold ? "signal" : "exit"}`,
    ...(activeLow ? ["--active-low"] : []),
    line.chipDevice,
    `${line.offset}=${value}`,
  ];
}

export class GpiosetRelay implements PowerSwitch {
  #on: boolean;
  #holder: ChildProcess | undefined;
  readonly #major = gpiosetMajorVersion();

  constructor(
    readonly board: string,
    readonly spec: RelaySpec,
    readonly line: GpioLine,
  ) {
    this.#on = spec.safeState === "on";
    this.#hold(energisedFor(spec, this.#on));
  }

  get on(): boolean {
    return this.#on;
  }

  #hold(energised: boolean): void {
    const args = gpiosetArgs(this.line, this.spec.activeLow, energised ? 1 : 0, true, this.#major);
    this.#holder = spawn("gpioset", args, { stdio: "ignore" });
    this.#holder.on("error", () => {});
  }

  async #release(): Promise<void> {
    const h = this.#holder;
    this.#holder = undefined;
    if (!h || h.exitCode !== null) return;
    const gone = new Promise((r) => h.once("exit", r));
    h.kill("SIGTERM");
    await gone;
  }

  async set(on: boolean): Promise<void> {
    await this.#release();
    this.#hold(energisedFor(this.spec, on));
    this.#on = on;
  }

  safeAction(): SafeAction {
    const value = energisedFor(this.spec, this.spec.safeState === "on") ? 1 : 0;
    return {
      kind: "exec",
      command: "gpioset",
      args: gpiosetArgs(this.line, this.spec.activeLow, value, false, this.#major),
    };
  }

  async close(): Promise<void> {
    await this.set(this.spec.safeState === "on");
    await this.#release();
    const a = this.safeAction();
    if (a.kind === "exec") execFileSync(a.command, a.args, { stdio: "ignore" });
  }
}

/**
 * Opens the relay of a board: through onoff when sysfs GPIO exists and lists the chip, else through
 * `gpioset`. The line is found by chip label and line name (gpio-line.ts).
 */
export async function openRelay(
  board: string,
  spec: RelaySpec,
  find: (chip: string, line: string) => Promise<GpioLine>,
): Promise<PowerSwitch> {
  const line = await find(spec.chip, spec.line);
  if (line.sysfsNumber !== undefined)
    return new SysfsRelay(board, spec, { ...line, sysfsNumber: line.sysfsNumber });
  return new GpiosetRelay(board, spec, line);
}
