// INA219 driver over I2C (TI SBOS448). Configures range, PGA, ADC and mode, programs the calibration the
// datasheet way (ina219-calibration.ts), and reads shunt voltage, bus voltage, current and power. Honours
// CNVR (waits for a fresh conversion) and OVF (an overflowed reading is invalid and carries no current or
// power); retries transient I2C errors with backoff. Several instances may share one bus at different
// addresses: every register access is one SMBus word transfer, which the kernel does atomically.
import { I2cTransferError, SensorConfigError, SensorTimeoutError } from "./errors.js";
import { errnoCode, type I2cBus, readRegister16, TRANSIENT_I2C_CODES, writeRegister16 } from "./i2c-bus.js";
import { calibrateIna219, type Ina219Calibration } from "./ina219-calibration.js";
import {
  cycleTimeUs,
  decodeAdc,
  encodeAdc,
  encodeConfig,
  INA219_BUS_CNVR_BIT,
  INA219_BUS_LSB_V,
  INA219_BUS_OVF_BIT,
  INA219_CONFIG_RESET_BIT,
  INA219_REG,
  INA219_SHUNT_LSB_V,
  type Ina219Adc,
  type Ina219BusRange,
  type Ina219ConfigFields,
  type Ina219Gain,
  shuntFullScaleCounts,
  toSigned16,
} from "./ina219-registers.js";
import { DEFAULT_RETRY, type Delay, type RetryPolicy, realDelay, withRetry } from "./retry.js";
import type { Sensor, SensorReading } from "./sensor.js";

/** An ADC setting: a resolution, or a number of averaged 12-bit samples. */
export type Ina219AdcChoice = { bits: Ina219Adc["bits"] } | { samples: Ina219Adc["samples"] };

export interface Ina219Options {
  bus: I2cBus;
  /** 7-bit address, 0x40..0x4F (A0/A1 pins). Default 0x40. */
  address?: number;
  /** The bus number, for the sensor id only. */
  busNumber?: number;
  shuntResistanceOhm: number;
  maxExpectedCurrentA: number;
  /** PGA divisor; chosen from maxExpectedCurrentA · R_shunt when left out. */
  gain?: Ina219Gain;
  /** Current_LSB override, amperes. */
  currentLsbA?: number;
  /** Bus voltage range, volts. Default 32. */
  busRangeV?: Ina219BusRange;
  /** Default 12 bit. */
  busAdc?: Ina219AdcChoice;
  /** Default 12 bit. */
  shuntAdc?: Ina219AdcChoice;
  /** Continuous conversions (default) or one conversion per read. */
  mode?: "continuous" | "triggered";
  retry?: Partial<RetryPolicy>;
  /** How to wait (conversion time, backoff). Default: a real timer. */
  delay?: Delay;
  /** Timestamps for readings, milliseconds. Default Date.now. */
  nowMs?: () => number;
  label?: string;
}

/** The smallest change each quantity can show with the current configuration. */
export interface Ina219Resolution {
  shuntVoltageMv: number;
  busVoltageV: number;
  currentA: number;
  powerW: number;
}

/** Bus voltage (with CNVR/OVF), shunt and current (signed) and power, as read. */
interface RawRegisters {
  bus: number;
  shunt: number;
  current: number;
  power: number;
}

export class Ina219 implements Sensor {
  readonly kind = "ina219";
  readonly id: string;
  readonly label: string;
  readonly address: number;
  readonly calibration: Ina219Calibration;
  readonly configRegister: number;
  private readonly bus: I2cBus;
  private readonly fields: Ina219ConfigFields;
  private readonly retry: RetryPolicy;
  private readonly delay: Delay;
  private readonly nowMs: () => number;
  /** How often read() found the chip reset (calibration lost) and reprogrammed it. */
  reconfigurations = 0;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(options: Ina219Options) {
    this.address = options.address ?? 0x40;
    this.id = `ina219:${options.busNumber ?? "virtual"}-0x${this.address.toString(16).padStart(2, "0")}`;
    this.label = options.label ?? `INA219 at 0x${this.address.toString(16)}`;
    if (this.address < 0x40 || this.address > 0x4f)
      throw new SensorConfigError(
        `INA219 addresses are 0x40..0x4F, not 0x${this.address.toString(16)}`,
        this.id,
      );
    this.bus = options.bus;
    this.calibration = calibrateIna219(options, this.id);
    this.fields = {
      busRangeV: options.busRangeV ?? 32,
      gain: this.calibration.gain,
      busAdc: encodeAdc(options.busAdc ?? { bits: 12 }),
      shuntAdc: encodeAdc(options.shuntAdc ?? { bits: 12 }),
      mode: options.mode === "triggered" ? "shunt-bus-triggered" : "shunt-bus-continuous",
    };
    this.configRegister = encodeConfig(this.fields);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.delay = options.delay ?? realDelay;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Creates the driver and programs the chip (reset, configuration, calibration). */
  static async open(options: Ina219Options): Promise<Ina219> {
    const chip = new Ina219(options);
    await chip.configure();
    return chip;
  }

  /** One conversion cycle (shunt then bus), milliseconds. */
  get conversionTimeMs(): number {
    return cycleTimeUs(this.fields) / 1000;
  }

  get resolution(): Ina219Resolution {
    const shuntStep = 2 ** (12 - decodeAdc(this.fields.shuntAdc).bits);
    const busStep = 2 ** (12 - decodeAdc(this.fields.busAdc).bits);
    return {
      shuntVoltageMv: shuntStep * INA219_SHUNT_LSB_V * 1000,
      busVoltageV: busStep * INA219_BUS_LSB_V,
      currentA: this.calibration.effectiveCurrentLsbA,
      powerW: this.calibration.powerLsbW,
    };
  }

  /** Resets the chip, writes configuration and calibration, and reads both back. */
  async configure(): Promise<void> {
    await this.write(INA219_REG.config, INA219_CONFIG_RESET_BIT);
    await this.write(INA219_REG.calibration, this.calibration.calibrationRegister);
    await this.write(INA219_REG.config, this.configRegister);
    const config = await this.readReg(INA219_REG.config);
    const cal = await this.readReg(INA219_REG.calibration);
    if (config !== this.configRegister || cal !== this.calibration.calibrationRegister)
      throw new SensorConfigError(
        `read back config 0x${hex(config)} / calibration 0x${hex(cal)}, wrote 0x${hex(this.configRegister)} / ` +
          `0x${hex(this.calibration.calibrationRegister)}: not an INA219?`,
        this.id,
      );
  }

  /** Puts the chip into power-down mode; the next configure() wakes it. */
  async powerDown(): Promise<void> {
    await this.write(INA219_REG.config, encodeConfig({ ...this.fields, mode: "power-down" }));
  }

  /**
   * Waits for a fresh conversion and reads all four measurement registers. A chip that lost power or was reset
   * by someone else comes back with calibration 0, and then reads current and power 0 whatever flows: when a
   * reading looks like that, the calibration is checked and, if lost, the chip is reprogrammed and read again.
   */
  read(): Promise<SensorReading> {
    // one read at a time per chip: a concurrent caller would clear CNVR (or re-trigger) under the other
    const next = this.pending.then(() => this.readExclusive());
    this.pending = next.catch(() => undefined);
    return next;
  }

  private async readExclusive(): Promise<SensorReading> {
    const raw = await this.readRaw();
    if (
      raw.current === 0 &&
      raw.shunt !== 0 &&
      (await this.readReg(INA219_REG.calibration)) !== this.calibration.calibrationRegister
    ) {
      await this.configure();
      this.reconfigurations++;
      return this.decode(await this.readRaw());
    }
    return this.decode(raw);
  }

  private async readRaw(): Promise<RawRegisters> {
    const cycleMs = this.conversionTimeMs;
    if (this.fields.mode === "shunt-bus-triggered") {
      await this.write(INA219_REG.config, this.configRegister);
      await this.delay(cycleMs);
    }
    // CNVR: set when a conversion completes, cleared by our last Power read. Allow a cycle and a margin
    // (the datasheet's maximum conversion times are ~10 % above typical).
    const budgetMs = cycleMs * 2.2 + 1;
    const pollMs = Math.max(0.05, cycleMs / 4);
    let waitedMs = 0;
    let bus = await this.readReg(INA219_REG.busVoltage);
    while (!(bus & INA219_BUS_CNVR_BIT)) {
      if (waitedMs >= budgetMs)
        throw new SensorTimeoutError(
          `no conversion ready after ${waitedMs.toFixed(1)} ms`,
          this.id,
          waitedMs,
        );
      await this.delay(pollMs);
      waitedMs += pollMs;
      bus = await this.readReg(INA219_REG.busVoltage);
    }
    const shunt = toSigned16(await this.readReg(INA219_REG.shuntVoltage));
    const current = toSigned16(await this.readReg(INA219_REG.current));
    const power = await this.readReg(INA219_REG.power);
    return { bus, shunt, current, power };
  }

  private decode({ bus, shunt, current, power }: RawRegisters): SensorReading {
    const tsMs = this.nowMs();
    const busCounts = bus >> 3;
    const busSaturated = busCounts >= this.fields.busRangeV / INA219_BUS_LSB_V;
    const shuntSaturated = Math.abs(shunt) >= shuntFullScaleCounts(this.fields.gain);
    const overflow = (bus & INA219_BUS_OVF_BIT) !== 0;
    const reading: SensorReading = { tsMs, valid: !(busSaturated || shuntSaturated || overflow) };
    if (!busSaturated) reading.busVoltageV = round(busCounts * INA219_BUS_LSB_V, 6);
    if (!shuntSaturated) reading.shuntVoltageMv = round(shunt * INA219_SHUNT_LSB_V * 1000, 6);
    if (overflow) reading.invalidReason = "overflow";
    else if (shuntSaturated) reading.invalidReason = "shunt-saturated";
    else if (busSaturated) reading.invalidReason = "bus-saturated";
    if (!overflow && !shuntSaturated) {
      reading.currentA = current * this.calibration.effectiveCurrentLsbA;
      if (!busSaturated) reading.powerW = power * this.calibration.powerLsbW;
    }
    return reading;
  }

  private readReg(register: number): Promise<number> {
    return this.transfer(register, () => readRegister16(this.bus, this.address, register));
  }

  private write(register: number, value: number): Promise<void> {
    return this.transfer(register, () => writeRegister16(this.bus, this.address, register, value));
  }

  private transfer<T>(register: number, op: () => Promise<T>): Promise<T> {
    return withRetry(
      op,
      this.retry,
      this.delay,
      (err) => TRANSIENT_I2C_CODES.has(errnoCode(err) ?? ""),
      (err, attempts) =>
        new I2cTransferError(
          `register 0x${register.toString(16).padStart(2, "0")} at 0x${this.address.toString(16)}: ` +
            `${errnoCode(err) ?? (err as Error).message} after ${attempts} attempt(s)`,
          this.id,
          this.address,
          register,
          errnoCode(err),
          attempts,
          { cause: err },
        ),
    );
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(4, "0");
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
