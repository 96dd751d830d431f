import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { createEmulatedRig, detectSensors, type Sensor, type SensorReading } from "@qonnect/energy";
import { CliError, EXIT } from "../io.js";
import { table } from "../table.js";
import type { Register } from "./index.js";

interface SensorsOptions {
  emulate?: boolean;
  json?: boolean;
  root: string;
  probeI2c?: boolean;
}

interface Row {
  id: string;
  kind: string;
  label: string;
  emulated: boolean;
  reading?: SensorReading;
  error?: { name: string; message: string };
}

export const registerSensors: Register = (program, io, outcome) => {
  program
    .command("sensors")
    .description(
      "list the power sensors this machine has (hwmon ina2xx, Jetson INA3221, power_supply, INA219) and read each once",
    )
    .option("--emulate", "add an emulated INA219 load and UPS HAT on a virtual I2C bus")
    .option("--json", "print one JSON object")
    .option("--root <dir>", "look for /sys and /dev under this directory (fixture trees)", "/")
    .option("--probe-i2c", "probe /dev/i2c-* for INA219s at 0x40..0x4F (programs every chip it recognises)")
    .action(async (opts: SensorsOptions) => {
      const root = resolve(io.cwd, opts.root);
      if (!(await stat(root).catch(() => undefined))?.isDirectory())
        throw new CliError(`--root ${opts.root}: no such directory`, EXIT.usage);
      const detection = await detectSensors(root, { probeI2c: Boolean(opts.probeI2c) });
      const found: { sensor: Sensor; emulated: boolean }[] = detection.sensors.map((sensor) => ({
        sensor,
        emulated: false,
      }));
      if (opts.emulate) {
        const rig = await createEmulatedRig({ nowMs: Date.now });
        for (const sensor of rig.sensors) found.push({ sensor, emulated: true });
      }
      const rows: Row[] = [];
      for (const { sensor, emulated } of found) {
        const row: Row = { id: sensor.id, kind: sensor.kind, label: sensor.label, emulated };
        try {
          row.reading = await sensor.read();
        } catch (err) {
          row.error = { name: (err as Error).name, message: (err as Error).message };
        }
        rows.push(row);
      }
      if (rows.some((r) => r.error)) outcome.exitCode = EXIT.failed;
      if (opts.json) {
        io.out(
          `${JSON.stringify({ root, i2cBuses: detection.i2cBuses, notes: detection.notes, sensors: rows }, null, 2)}\n`,
        );
        return;
      }
      for (const note of detection.notes) io.err(`note: ${note}\n`);
      if (rows.length === 0) {
        io.out(
          `no power sensors found under ${root} (looked in /sys/class/hwmon, /sys/bus/iio/devices, ` +
            `/sys/class/power_supply${opts.probeI2c ? ", /dev/i2c-*" : ""}); --emulate shows the emulator\n`,
        );
        return;
      }
      io.out(
        table(
          ["SENSOR", "KIND", "LABEL", "VALID", "BUS V", "CURRENT A", "POWER W", "SOC", "STATUS"],
          rows.map((r) => [
            r.id,
            r.emulated ? `${r.kind} (emulated)` : r.kind,
            r.label,
            r.error
              ? `error: ${r.error.name}: ${r.error.message}`
              : r.reading!.valid
                ? "yes"
                : `no (${r.reading!.invalidReason})`,
            num(r.reading?.busVoltageV, 3),
            num(r.reading?.currentA, 4),
            num(r.reading?.powerW, 3),
            r.reading?.stateOfCharge === undefined ? "-" : `${(r.reading.stateOfCharge * 100).toFixed(1)}%`,
            r.reading?.batteryStatus ?? "-",
          ]),
        ),
      );
    });
};

function num(x: number | undefined, digits: number): string {
  return x === undefined ? "-" : x.toFixed(digits);
}
