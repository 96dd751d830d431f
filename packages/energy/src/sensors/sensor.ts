// The one interface every power sensor implements: read() resolves to a timestamped reading that says whether
// it can be trusted, or rejects with one of the named errors of errors.ts.

/** Which code path produced a reading; one file per kind in this folder. */
export type SensorKind =
  | "ina219" // INA219 over I2C (ina219.ts)
  | "hwmon-ina2xx" // Linux hwmon ina2xx driver (hwmon-ina2xx.ts)
  | "ina3221-hwmon" // Jetson INA3221, hwmon layout (ina3221-hwmon.ts)
  | "ina3221-iio" // Jetson INA3221, older L4T iio layout (ina3221-iio.ts)
  | "power-supply" // /sys/class/power_supply (power-supply.ts)
  | "ups-hat"; // INA219-based UPS HAT with state-of-charge estimation (ups-hat.ts)

/** Why a reading is marked invalid. Its numbers that are affected are left out, never guessed. */
export type InvalidReason =
  /** INA219 OVF: the current or power calculation went out of range. */
  | "overflow"
  /** The shunt voltage sits at the end of the PGA range: the true value may be larger. */
  | "shunt-saturated"
  /** The bus voltage sits at the end of the configured bus range. */
  | "bus-saturated"
  /** The device answered but has no data for this channel (e.g. a disabled INA3221 channel). */
  | "no-data";

/** Battery charging state, normalised across drivers (power_supply `status` values, UPS HAT current sign). */
export type BatteryStatus = "charging" | "discharging" | "full" | "not-charging" | "unknown";

/**
 * One timestamped measurement. Every quantity carries its unit in its name.
 *
 * Sign convention: `currentA` and `powerW` are signed in the sensor's reference direction. For a shunt monitor
 * (INA219, hwmon ina2xx, INA3221) that is from IN+ to IN−, i.e. into the load: positive = consumed. For a
 * battery (power_supply, UPS HAT) it is into the battery: positive = charging, negative = discharging, as the
 * kernel's power_supply ABI documents; drivers that report magnitudes are normalised to it.
 */
export interface SensorReading {
  /** When the reading was taken, milliseconds since the Unix epoch (or since the simulation's start). */
  tsMs: number;
  /** False when the device reported a condition that makes the reading untrustworthy; see invalidReason. */
  valid: boolean;
  invalidReason?: InvalidReason;
  /** Power through the sensor, watts (see the sign convention above). */
  powerW?: number;
  /** Voltage on the load or battery side, volts. */
  busVoltageV?: number;
  /** Current through the sensor, amperes (signed). */
  currentA?: number;
  /** Voltage across the shunt resistor, millivolts (signed). */
  shuntVoltageMv?: number;
  /** Energy left in a battery, watt-hours. */
  energyWh?: number;
  /** Charge left in a battery, ampere-hours (drivers that count charge instead of energy). */
  chargeAh?: number;
  /** Battery state of charge, 0..1. */
  stateOfCharge?: number;
  batteryStatus?: BatteryStatus;
}

/** A power or battery sensor. Implementations do no logging; failures are named errors (errors.ts). */
export interface Sensor {
  /** Stable identifier on this machine, e.g. `ina219:1-0x40`, `hwmon:hwmon2`, `power-supply:BAT0`. */
  readonly id: string;
  readonly kind: SensorKind;
  /** Human-readable name: a rail label (`VDD_IN`), a battery name, or the chip and address. */
  readonly label: string;
  /** Takes one reading. Rejects with a SensorError subclass when the device cannot be read at all. */
  read(): Promise<SensorReading>;
}
