// What power sensors does this machine have? Sysfs sensors are found by reading, under `root`:
// /sys/class/hwmon (ina2xx family, ina3221), /sys/bus/iio/devices (ina3221x), /sys/class/power_supply.
// INA219s on /dev/i2c-* without a kernel driver are only probed when asked: probing opens the bus with the
// native addon and programs every chip it recognises (reset, configuration, calibration).
import { readdir } from "node:fs/promises";
import { findHwmonIna2xx } from "./hwmon-ina2xx.js";
import { errnoCode, type I2cBus, openI2cBus, readRegister16 } from "./i2c-bus.js";
import { Ina219 } from "./ina219.js";
import { INA219_REG } from "./ina219-registers.js";
import { findIna3221Hwmon } from "./ina3221-hwmon.js";
import { findIna3221Iio } from "./ina3221-iio.js";
import { findPowerSupplies } from "./power-supply.js";
import type { Delay } from "./retry.js";
import type { Sensor } from "./sensor.js";
import { sysPath } from "./sysfs.js";
import { UpsHat, WAVESHARE_UPS_HAT, WAVESHARE_UPS_HAT_C } from "./ups-hat.js";

export interface DetectOptions {
  nowMs?: () => number;
  /** Probe /dev/i2c-* for INA219s at 0x40..0x4F. Default false. */
  probeI2c?: boolean;
  /** Opens a bus for probing; default openI2cBus (the real addon). */
  openBus?: (busNumber: number) => Promise<I2cBus>;
  /** Shunt assumed for a bare INA219 found by probing (0.1 Ω on the common breakouts). */
  shuntResistanceOhm?: number;
  delay?: Delay;
}

export interface SensorDetection {
  sensors: Sensor[];
  /** Bus numbers of the /dev/i2c-N nodes under the root. */
  i2cBuses: number[];
  /** Things worth telling the user: buses not probed, buses that could not be opened. */
  notes: string[];
}

/** Bus numbers of /dev/i2c-N under root, ascending. */
export async function listI2cBuses(root = "/"): Promise<number[]> {
  let names: string[] = [];
  try {
    names = await readdir(sysPath(root, "dev"));
  } catch {
    return [];
  }
  return names
    .map((n) => /^i2c-(\d+)$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * True when the device at `address` reads like an INA219, without writing to it: config bit 14, bus-voltage
 * bit 2 and calibration bit 0 always read 0 on the chip. A heuristic: other chips can match.
 */
export async function looksLikeIna219(bus: I2cBus, address: number): Promise<boolean> {
  try {
    const config = await readRegister16(bus, address, INA219_REG.config);
    const busV = await readRegister16(bus, address, INA219_REG.busVoltage);
    const cal = await readRegister16(bus, address, INA219_REG.calibration);
    return (config & 0x4000) === 0 && (busV & 0x0004) === 0 && (cal & 0x0001) === 0;
  } catch {
    return false;
  }
}

export async function detectSensors(root = "/", options: DetectOptions = {}): Promise<SensorDetection> {
  const { nowMs } = options;
  const sensors: Sensor[] = [
    ...(await findHwmonIna2xx(root, nowMs)),
    ...(await findIna3221Hwmon(root, nowMs)),
    ...(await findIna3221Iio(root, nowMs)),
    ...(await findPowerSupplies(root, nowMs)),
  ];
  const i2cBuses = await listI2cBuses(root);
  const notes: string[] = [];
  if (i2cBuses.length && !options.probeI2c)
    notes.push(
      `I2C buses ${i2cBuses.map((n) => `i2c-${n}`).join(", ")} not probed for INA219s (ask to probe)`,
    );
  if (options.probeI2c)
    for (const busNumber of i2cBuses) sensors.push(...(await probeBus(busNumber, options, notes)));
  return { sensors, i2cBuses, notes };
}

async function probeBus(busNumber: number, options: DetectOptions, notes: string[]): Promise<Sensor[]> {
  let bus: I2cBus;
  try {
    bus = await (options.openBus ?? openI2cBus)(busNumber);
  } catch (err) {
    notes.push(`i2c-${busNumber}: ${(err as Error).message}`);
    return [];
  }
  let addresses: number[];
  try {
    addresses = await bus.scan(0x40, 0x4f);
  } catch (err) {
    notes.push(`i2c-${busNumber}: scan failed: ${errnoCode(err) ?? (err as Error).message}`);
    await bus.close().catch(() => undefined);
    return [];
  }
  const found: Sensor[] = [];
  for (const address of addresses) {
    if (!(await looksLikeIna219(bus, address))) continue;
    const common = {
      bus,
      busNumber,
      ...(options.delay ? { delay: options.delay } : {}),
      ...(options.nowMs ? { nowMs: options.nowMs } : {}),
    };
    const preset = [WAVESHARE_UPS_HAT, WAVESHARE_UPS_HAT_C].find((p) => p.address === address);
    try {
      found.push(
        preset
          ? await UpsHat.open({ ...common, preset })
          : await Ina219.open({
              ...common,
              address,
              shuntResistanceOhm: options.shuntResistanceOhm ?? 0.1,
              maxExpectedCurrentA: 3.2,
            }),
      );
    } catch (err) {
      notes.push(`i2c-${busNumber} 0x${address.toString(16)}: ${errnoCode(err) ?? (err as Error).message}`);
    }
  }
  if (found.length === 0) await bus.close().catch(() => undefined);
  return found;
}
