// The `sensors` section of agent.yaml: explicitly configured power and battery sources, or the emulated
// INA219 (and the electrically honest board behind it) where no sensor exists.
import { type FieldReader, join } from "./fields.js";

/** One explicitly configured power or battery source. */
export type SensorSpec =
  | { kind: "ina219"; bus: number; address: number; shuntResistanceOhm: number; maxCurrentA: number }
  | { kind: "hwmon"; path: string }
  | { kind: "ina3221"; path: string; channel: number }
  | { kind: "power_supply"; name: string }
  | { kind: "ups-hat"; bus: number; address: number };

/** What the emulated INA219 on a virtual I2C bus reports (sensors.mode = emulate). */
export interface EmulatedSensorSpec {
  busVoltageV: number;
  /** The constant load current, unless `followLoad`. */
  currentA: number;
  shuntResistanceOhm: number;
  /**
   * An electrically honest board (@qonnect/energy's EmulatedBoard): the load follows the workloads' CPU use
   * through the power profile (`power`), a solar panel feeds it and a battery (a UPS HAT at 0x42) buffers it.
   */
  followLoad?: boolean;
  /** Cores the workloads' CPU use is counted against (the device's declared cores); default the host's. */
  cpuCores?: number;
  /** The solar panel's output, W (default 0). */
  solarW?: number;
  /** A file holding the panel's output in watts, read at every sample: the emulator's stand-in for the sun. */
  solarFile?: string;
  /** A battery on a UPS HAT: usable capacity, state of charge at start, the floor it never discharges below. */
  battery?: { capacityWh: number; soc: number; minSoc: number };
  /**
   * A JSON file `{"busVoltageV", "currentA"}` that an outside electrical model (the simulated HIL rig) keeps
   * current; when set, the emulator reads the truth from it (re-read at most every 100 ms) instead of the
   * constants above, so a rig's meter and the agent's own sensor see the same load.
   */
  truthFile?: string;
}

/** The shunt resistance's earlier key, still read so existing agent.yaml files keep working. */
const LEGACY_SHUNT_KEY = "shuntOhms";
const SENSOR_KINDS = ["ina219", "hwmon", "ina3221", "power_supply", "ups-hat"] as const;

/** How the agent finds its power and battery sensors. */
export interface SensorsConfig {
  mode: "auto" | "explicit" | "emulate";
  devices: SensorSpec[];
  emulate: EmulatedSensorSpec;
}

/** The electrically honest board's fields of `sensors.emulate` (followLoad, cpuCores, solar, battery). */
function readBoard(
  r: FieldReader,
  em: Record<string, unknown>,
  emulate: EmulatedSensorSpec,
  path: (p: string | undefined) => string | undefined,
): void {
  const at = "sensors.emulate";
  const follow = em["followLoad"];
  if (follow !== undefined && typeof follow !== "boolean")
    r.problem(`${at}.followLoad`, "must be true or false");
  emulate.followLoad = follow === true;
  const cores = r.number(em, "cpuCores", at, { min: 0.001 });
  if (cores !== undefined) emulate.cpuCores = cores;
  emulate.solarW = r.number(em, "solarW", at, { min: 0, max: 10_000 }) ?? 0;
  const file = path(r.string(em, "solarFile", at));
  if (file !== undefined) emulate.solarFile = file;
  const b = r.object(em["battery"], `${at}.battery`);
  if (b) {
    r.unknownKeys(b, `${at}.battery`, ["capacityWh", "soc", "minSoc"]);
    emulate.battery = {
      capacityWh: r.number(b, "capacityWh", `${at}.battery`, { min: 0.01, required: true }) ?? 1,
      soc: r.number(b, "soc", `${at}.battery`, { min: 0, max: 1 }) ?? 0.5,
      minSoc: r.number(b, "minSoc", `${at}.battery`, { min: 0, max: 1 }) ?? 0,
    };
  }
}

export function readSensors(
  r: FieldReader,
  value: unknown,
  path: (p: string | undefined) => string | undefined,
): SensorsConfig {
  const emulate: EmulatedSensorSpec = {
    busVoltageV: 5.1,
    currentA: 0.6,
    shuntResistanceOhm: 0.1,
    followLoad: false,
    solarW: 0,
  };
  if (value === "auto" || value === "emulate") return { mode: value, devices: [], emulate };
  if (typeof value === "string") {
    r.problem("sensors", `must be auto, emulate or a mapping with mode, got "${value}"`);
    return { mode: "auto", devices: [], emulate };
  }
  const obj = r.object(value, "sensors") ?? {};
  r.unknownKeys(obj, "sensors", ["mode", "devices", "emulate"]);
  const mode = (r.string(obj, "mode", "sensors", { oneOf: ["auto", "explicit", "emulate"] }) ??
    "auto") as SensorsConfig["mode"];
  const em = r.object(obj["emulate"], "sensors.emulate") ?? {};
  r.unknownKeys(em, "sensors.emulate", [
    "busVoltageV",
    "currentA",
    "shuntResistanceOhm",
    LEGACY_SHUNT_KEY,
    "truthFile",
    "followLoad",
    "cpuCores",
    "solarW",
    "solarFile",
    "battery",
  ]);
  readBoard(r, em, emulate, path);
  const truthFile = r.string(em, "truthFile", "sensors.emulate");
  if (truthFile !== undefined) emulate.truthFile = truthFile;
  emulate.busVoltageV =
    r.number(em, "busVoltageV", "sensors.emulate", { min: 0, max: 32 }) ?? emulate.busVoltageV;
  emulate.currentA = r.number(em, "currentA", "sensors.emulate", { min: -3.2, max: 3.2 }) ?? emulate.currentA;
  emulate.shuntResistanceOhm =
    r.number(em, "shuntResistanceOhm", "sensors.emulate", { min: 0.001, max: 10 }) ??
    r.number(em, LEGACY_SHUNT_KEY, "sensors.emulate", { min: 0.001, max: 10 }) ??
    emulate.shuntResistanceOhm;
  const devices: SensorSpec[] = [];
  const list = obj["devices"];
  if (mode === "explicit" && (!Array.isArray(list) || list.length === 0))
    r.problem("sensors.devices", "mode explicit needs a non-empty list of sensors");
  if (Array.isArray(list))
    list.forEach((item, i) => {
      const at = join("sensors.devices", i);
      const s = r.object(item, at, true);
      if (!s) return;
      const kind = r.string(s, "kind", at, { required: true, oneOf: SENSOR_KINDS });
      const addr = () => r.number(s, "address", at, { integer: true, min: 0x03, max: 0x77 }) ?? 0x40;
      const bus = () => r.number(s, "bus", at, { integer: true, min: 0 }) ?? 1;
      if (kind === "ina219") {
        r.unknownKeys(s, at, [
          "kind",
          "bus",
          "address",
          "shuntResistanceOhm",
          LEGACY_SHUNT_KEY,
          "maxCurrentA",
        ]);
        devices.push({
          kind,
          bus: bus(),
          address: addr(),
          shuntResistanceOhm:
            r.number(s, "shuntResistanceOhm", at, { min: 0.0001 }) ??
            r.number(s, LEGACY_SHUNT_KEY, at, { min: 0.0001 }) ??
            0.1,
          maxCurrentA: r.number(s, "maxCurrentA", at, { min: 0.001 }) ?? 3.2,
        });
      } else if (kind === "hwmon") {
        r.unknownKeys(s, at, ["kind", "path"]);
        devices.push({ kind, path: r.string(s, "path", at, { required: true }) ?? "" });
      } else if (kind === "ina3221") {
        r.unknownKeys(s, at, ["kind", "path", "channel"]);
        const channel = r.number(s, "channel", at, { integer: true, min: 1, max: 3 }) ?? 1;
        devices.push({ kind, path: r.string(s, "path", at, { required: true }) ?? "", channel });
      } else if (kind === "power_supply") {
        r.unknownKeys(s, at, ["kind", "name"]);
        devices.push({ kind, name: r.string(s, "name", at, { required: true }) ?? "" });
      } else if (kind === "ups-hat") {
        r.unknownKeys(s, at, ["kind", "bus", "address"]);
        devices.push({ kind, bus: bus(), address: addr() });
      }
    });
  return { mode, devices, emulate };
}
