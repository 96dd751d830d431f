// /sys/class/power_supply (Documentation/ABI/testing/sysfs-class-power). Attributes in µ-units:
//   voltage_now µV, current_now µA, power_now µW, energy_now/energy_full µWh, charge_now µAh, capacity %.
// Sign conventions differ between drivers. The ABI says current_now is negative while discharging and
// positive while charging; fuel-gauge drivers (bq27xxx, max17042, axp20x, rk817, cw2015) follow it, but the
// ACPI battery driver of most x86 laptops reports current_now and power_now as magnitudes and lets `status`
// say the direction, and some vendor drivers report discharge as positive. We normalise with `status`:
// Discharging → −|x|, Charging → +|x|, anything else → x as reported. The result follows sensor.ts: positive
// into the battery (charging), negative out of it.
import { join } from "node:path";
import type { BatteryStatus, Sensor, SensorReading } from "./sensor.js";
import { listDir, readInt, readText, requireDir, sysPath } from "./sysfs.js";

const STATUS: Record<string, BatteryStatus> = {
  Charging: "charging",
  Discharging: "discharging",
  Full: "full",
  "Not charging": "not-charging",
  Unknown: "unknown",
};

/** Maps a power_supply `status` string to BatteryStatus ("unknown" for anything unexpected). */
export function parseBatteryStatus(text: string | undefined): BatteryStatus {
  return (text !== undefined ? STATUS[text] : undefined) ?? "unknown";
}

/** Applies the sign normalisation above to a current or power value reported by a driver. */
export function normaliseBatterySign(value: number, status: BatteryStatus): number {
  if (status === "discharging") return -Math.abs(value);
  if (status === "charging") return Math.abs(value);
  return value;
}

export class PowerSupplySensor implements Sensor {
  readonly kind = "power-supply";
  readonly id: string;
  readonly label: string;

  constructor(
    /** The supply's directory under the root, e.g. `<root>/sys/class/power_supply/BAT0`. */
    readonly dir: string,
    readonly supply: string,
    /** The `type` attribute: Battery, UPS, Mains, USB, ... */
    readonly type: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.id = `power-supply:${supply}`;
    this.label = `${supply} (${type})`;
  }

  get isBattery(): boolean {
    return this.type === "Battery" || this.type === "UPS";
  }

  async read(): Promise<SensorReading> {
    await requireDir(this.dir, "type", this.id);
    const int = (file: string) => readInt(join(this.dir, file), this.id);
    const reading: SensorReading = { tsMs: this.nowMs(), valid: true };
    const status = this.isBattery
      ? parseBatteryStatus(await readText(join(this.dir, "status"), this.id))
      : undefined;
    const sign = (x: number) => (status === undefined ? x : normaliseBatterySign(x, status));
    const voltageUv = await int("voltage_now");
    const currentUa = await int("current_now");
    const powerUw = await int("power_now");
    if (voltageUv !== undefined) reading.busVoltageV = voltageUv / 1e6;
    if (currentUa !== undefined) reading.currentA = sign(currentUa) / 1e6;
    if (powerUw !== undefined) reading.powerW = sign(powerUw) / 1e6;
    else if (voltageUv !== undefined && currentUa !== undefined)
      reading.powerW = (voltageUv / 1e6) * (sign(currentUa) / 1e6);
    if (status === undefined) return reading;
    reading.batteryStatus = status;
    const energyUwh = await int("energy_now");
    const chargeUah = await int("charge_now");
    if (energyUwh !== undefined) reading.energyWh = energyUwh / 1e6;
    if (chargeUah !== undefined) reading.chargeAh = chargeUah / 1e6;
    const capacityPct = await int("capacity");
    const energyFullUwh = await int("energy_full");
    const chargeFullUah = await int("charge_full");
    if (capacityPct !== undefined) reading.stateOfCharge = capacityPct / 100;
    else if (energyUwh !== undefined && energyFullUwh) reading.stateOfCharge = energyUwh / energyFullUwh;
    else if (chargeUah !== undefined && chargeFullUah) reading.stateOfCharge = chargeUah / chargeFullUah;
    if ((await int("present")) === 0) {
      reading.valid = false;
      reading.invalidReason = "no-data";
    }
    return reading;
  }
}

/**
 * Supplies worth reading: batteries and UPSes of the system (scope is not `Device`, which marks the batteries
 * of mice and keyboards), and any other supply that reports voltage, current or power. A Mains supply with
 * only `online` measures nothing and is left out.
 */
export async function findPowerSupplies(root = "/", nowMs?: () => number): Promise<PowerSupplySensor[]> {
  const base = sysPath(root, "sys/class/power_supply");
  const out: PowerSupplySensor[] = [];
  for (const supply of await listDir(base)) {
    const dir = join(base, supply);
    const id = `power-supply:${supply}`;
    const type = await readText(join(dir, "type"), id);
    if (type === undefined) continue;
    const sensor = new PowerSupplySensor(dir, supply, type, nowMs);
    if (sensor.isBattery) {
      if ((await readText(join(dir, "scope"), id)) === "Device") continue;
      out.push(sensor);
      continue;
    }
    for (const f of ["voltage_now", "current_now", "power_now"])
      if ((await readText(join(dir, f), id)) !== undefined) {
        out.push(sensor);
        break;
      }
  }
  return out;
}
