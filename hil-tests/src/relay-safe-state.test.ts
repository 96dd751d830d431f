// The relay driver as a real process on a sysfs GPIO emulator tree (bind-mounted over /sys/class/gpio in a
// mount namespace of its own, so onoff writes the paths it always writes) with stand-in libgpiod tools on
// PATH: however the driver ends — SIGKILL, SIGTERM, an uncaught exception — every relay goes to its safe
// state, and the watchdog that did it for the SIGKILL is gone afterwards.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { alive, useTempDirs, waitFor } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { PI5_LINUX_6_6, physicalLevel, writeGpioBoard } from "./testdata/gpio-boards.js";

const require = createRequire(import.meta.url);
const MAIN = join(import.meta.dirname, "testing/relay-driver-main.ts");

// GPIO17: active-low relay, NO contact, safe off · GPIO27: active-high, safe on · GPIO22: NC contact, safe off
const RIG = `apiVersion: qonnect.io/v1alpha1
kind: Rig
metadata: { name: relay-test }
spec:
  simulated: true
  regions: [{ name: eu-hil }]
  boards:
    - { name: a, type: raspberry-pi-5, ssh: pi@a, region: eu-hil, power: { relay: { chip: pinctrl-rp1, line: GPIO17, activeLow: true, safeState: "off" } } }
    - { name: b, type: raspberry-pi-5, ssh: pi@b, region: eu-hil, power: { relay: { chip: pinctrl-rp1, line: GPIO27, safeState: "on" } } }
    - { name: c, type: raspberry-pi-5, ssh: pi@c, region: eu-hil, power: { relay: { chip: pinctrl-rp1, line: GPIO22, normallyOpen: false, safeState: "off" } } }
`;
const LINES = { a: 571 + 17, b: 571 + 27, c: 571 + 22 };
// physical pin levels: boards powered on, and in the safe state
const ON = { a: 0, b: 1, c: 0 };
const SAFE = { a: 1, b: 1, c: 1 };

describe("relay driver process on a sysfs GPIO emulator tree (stand-in gpiodetect/gpioinfo)", () => {
  const temp = useTempDirs();
  let driver: ChildProcess | undefined;
  afterEach(() => {
    if (driver?.exitCode === null && driver.signalCode === null) driver.kill("SIGKILL");
  });

  async function startDriver(mode = ""): Promise<{ root: string; watchdogPid: number }> {
    const root = temp();
    const bin = writeGpioBoard(root, PI5_LINUX_6_6, Object.values(LINES));
    const rigFile = join(root, "rig.yaml");
    writeFileSync(rigFile, RIG);
    const script = [
      "mount -t tmpfs hil-sys-class /sys/class",
      "mkdir /sys/class/gpio",
      `mount --bind ${root}/sys/class/gpio /sys/class/gpio`,
      `exec "${process.execPath}" --import "${require.resolve("tsx")}" "${MAIN}" "${rigFile}" ${mode}`,
    ].join(" && ");
    // unshare without --fork execs sh, which execs node: the driver keeps the PID we signal
    driver = spawn("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    driver.stdout!.on("data", (d) => (out += d));
    driver.stderr!.on("data", (d) => (err += d));
    await waitFor(() => out.includes("\n") || driver!.exitCode !== null, {
      what: "the driver to report ready",
      timeoutMs: 60_000,
    });
    expect(out, err).toContain('"ready":true');
    return { root, watchdogPid: JSON.parse(out.split("\n")[0]!).watchdogPid };
  }

  const levels = (root: string) =>
    Object.fromEntries(
      Object.entries(LINES).map(([b, n]) => [b, physicalLevel(root, n, (p) => readFileSync(p, "utf8"))]),
    );

  it("SIGKILL of the driver: the watchdog puts every relay in its safe state", async () => {
    const { root, watchdogPid } = await startDriver();
    expect(levels(root)).toEqual(ON);
    expect(readFileSync(join(root, "sys/class/gpio/gpio588/active_low"), "utf8").trim()).toBe("1");
    driver!.kill("SIGKILL");
    await waitFor(() => JSON.stringify(levels(root)) === JSON.stringify(SAFE), {
      what: "every relay in its safe state",
      timeoutMs: 30_000,
    });
    await waitFor(() => !alive(watchdogPid), { what: "the watchdog to exit", timeoutMs: 30_000 });
  });

  it("SIGTERM of the driver: its handlers put every relay in its safe state", async () => {
    const { root, watchdogPid } = await startDriver();
    expect(levels(root)).toEqual(ON);
    const exited = new Promise((r) => driver!.once("exit", (_code, signal) => r(signal)));
    driver!.kill("SIGTERM");
    expect(await exited).toBe("SIGTERM");
    expect(levels(root)).toEqual(SAFE);
    await waitFor(() => !alive(watchdogPid), { what: "the watchdog to exit", timeoutMs: 30_000 });
  });

  it("an uncaught exception in the driver: safe state, exit code 1", async () => {
    const { root, watchdogPid } = await startDriver("crash");
    const code = await new Promise((r) => driver!.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(levels(root)).toEqual(SAFE);
    await waitFor(() => !alive(watchdogPid), { what: "the watchdog to exit", timeoutMs: 30_000 });
  });
});
