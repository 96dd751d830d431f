// A relay driver process for the safe-state tests: opens the relay of every board of a rig file (onoff on
// sysfs GPIO, or gpioset), guards them, powers every board on, prints one JSON line and waits. With `crash`
// it throws an uncaught exception once the boards are on.
import { readFileSync } from "node:fs";
import { findGpioLine } from "../gpio-line.js";
import { openRelay, type PowerSwitch } from "../relay.js";
import { parseRig } from "../rig-manifest.js";
import { SafeStateGuard } from "../safe-state.js";

const [file, mode] = process.argv.slice(2);
const rig = parseRig(readFileSync(file!, "utf8"), file);
const guard = new SafeStateGuard();
const switches: PowerSwitch[] = [];
for (const b of rig.spec.boards)
  if (b.power)
    switches.push(await openRelay(b.name, b.power.relay, (chip, line) => findGpioLine(chip, line)));
guard.update(switches.map((s) => s.safeAction()));
for (const s of switches) await s.set(true);
process.stdout.write(
  `${JSON.stringify({ ready: true, watchdogPid: guard.watchdogPid, boards: switches.map((s) => s.board) })}\n`,
);
if (mode === "crash")
  setTimeout(() => {
    throw new Error("simulated driver bug");
  }, 200);
setInterval(() => {}, 1 << 30);
