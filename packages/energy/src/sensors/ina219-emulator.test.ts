import { mulberry32 } from "@qonnect/core";
import { ManualClock } from "@qonnect/testkit";
// The real driver (ina219.ts) against the emulator on a virtual bus, compared with the scenario's truth.
import { describe, expect, it } from "vitest";
import { I2cTransferError, SensorConfigError, SensorTimeoutError } from "./errors.js";
import { swapBytes16 } from "./i2c-bus.js";
import { Ina219, type Ina219Options } from "./ina219.js";
import {
  constantScenario,
  Ina219Emulator,
  type Ina219Scenario,
  type Ina219Truth,
} from "./ina219-emulator.js";
import { INA219_REG } from "./ina219-registers.js";
import { VirtualI2cBus } from "./virtual-i2c-bus.js";

function rig(scenario: Ina219Scenario | Ina219Truth, shuntResistanceOhm = 0.1, address = 0x40) {
  const clock = new ManualClock();
  const bus = new VirtualI2cBus();
  const chip = new Ina219Emulator({
    nowMs: clock.nowMs,
    scenario: typeof scenario === "function" ? scenario : constantScenario(scenario),
    shuntResistanceOhm,
  });
  bus.attach(address, chip);
  const open = (o: Partial<Ina219Options> = {}) =>
    Ina219.open({
      bus,
      address,
      shuntResistanceOhm,
      maxExpectedCurrentA: 2,
      delay: clock.delay,
      nowMs: clock.nowMs,
      ...o,
    });
  return { clock, bus, chip, open };
}

describe("INA219 emulator registers", () => {
  it("INA219 emulator powers on with config 0x399F and calibration 0, MSB first on the wire", async () => {
    const { bus, chip } = rig({ busVoltageV: 5, currentA: 0.5 });
    expect(chip.registers().config).toBe(0x399f);
    expect(chip.registers().calibration).toBe(0);
    // an SMBus word read delivers the low byte first: the raw word is byte-swapped
    expect(await bus.readWord(0x40, INA219_REG.config)).toBe(0x9f39);
    expect(swapBytes16(await bus.readWord(0x40, INA219_REG.config))).toBe(0x399f);
    // a plain I2C write of the pointer, then a 2-byte read, returns MSB then LSB
    await bus.i2cWrite(0x40, 1, Buffer.of(INA219_REG.config));
    const buf = Buffer.alloc(2);
    await bus.i2cRead(0x40, 2, buf);
    expect([...buf]).toEqual([0x39, 0x9f]);
  });

  it("INA219 emulator reads current and power as 0 until calibrated, then applies Cal/4096 and /5000", async () => {
    const { bus, chip, clock } = rig({ busVoltageV: 12, currentA: 1 });
    clock.advance(1.1); // default config: 12-bit shunt + bus = 1.064 ms per cycle
    expect(chip.registers().current).toBe(0);
    expect(chip.registers().shuntVoltage).toBe(10_000); // 100 mV in 10 µV
    expect(chip.registers().busVoltage >> 3).toBe(3000); // 12 V in 4 mV
    await bus.writeWord(0x40, INA219_REG.calibration, swapBytes16(4096));
    clock.advance(1.1);
    const r = chip.registers();
    expect(r.current).toBe(10_000); // 10000 · 4096 / 4096 → 1 A at 100 µA
    expect(r.power).toBe(6000); // 10000 · 3000 / 5000 → 12 W at 2 mW
  });

  it("INA219 emulator ignores bit 0 of the calibration register and writes to read-only registers", async () => {
    const { bus, chip } = rig({ busVoltageV: 5, currentA: 0 });
    await bus.writeWord(0x40, INA219_REG.calibration, swapBytes16(0x1001));
    await bus.writeWord(0x40, INA219_REG.current, swapBytes16(0x1234));
    expect(chip.registers().calibration).toBe(0x1000);
    expect(chip.registers().current).toBe(0);
  });

  it("INA219 emulator reset bit restores power-on values and clears itself", async () => {
    const { bus, chip } = rig({ busVoltageV: 5, currentA: 0 });
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x019f));
    await bus.writeWord(0x40, INA219_REG.calibration, swapBytes16(4096));
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x8000));
    expect(chip.registers().config).toBe(0x399f);
    expect(chip.registers().calibration).toBe(0);
  });

  it("INA219 emulator sets CNVR after the conversion time of the ADC setting, clears it on a Power read", async () => {
    const { bus, chip, clock } = rig({ busVoltageV: 5, currentA: 0.2 });
    // 128-sample averaging on both ADCs: 68.10 ms each → a 136.2 ms cycle
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x3fff));
    clock.advance(136);
    expect(chip.registers().busVoltage & 2).toBe(0);
    clock.advance(0.3);
    expect(chip.registers().busVoltage & 2).toBe(2);
    await bus.readWord(0x40, INA219_REG.power);
    expect(chip.registers().busVoltage & 2).toBe(0);
    clock.advance(136.2);
    expect(chip.registers().busVoltage & 2).toBe(2);
  });

  it("INA219 emulator converts once per trigger in triggered mode and never in power-down", async () => {
    let currentA = 0.1;
    const { bus, chip, clock } = rig(() => ({ busVoltageV: 5, currentA }));
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x399b)); // shunt and bus, triggered
    clock.advance(2);
    expect(chip.registers().shuntVoltage).toBe(1000);
    currentA = 0.2;
    clock.advance(10);
    expect(chip.registers().shuntVoltage).toBe(1000); // no new trigger, no new conversion
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x399b));
    clock.advance(2);
    expect(chip.registers().shuntVoltage).toBe(2000);
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x3998)); // power-down keeps the last result
    currentA = 0.3;
    clock.advance(10);
    expect(chip.registers().shuntVoltage).toBe(2000);
    expect(chip.registers().busVoltage & 2).toBe(2); // and CNVR: only a measuring mode clears it
    await bus.readWord(0x40, INA219_REG.power);
    expect(chip.registers().busVoltage & 2).toBe(0);
  });

  it("INA219 emulator quantises 9-bit conversions to 8 LSBs and clamps the shunt at the PGA range", async () => {
    const { bus, chip, clock } = rig({ busVoltageV: 5.013, currentA: 0.1234 });
    // BRNG 32 V, PGA /8, 9-bit bus and shunt, continuous
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x3807));
    clock.advance(1);
    expect(chip.registers().shuntVoltage).toBe(1232); // 1234 → nearest multiple of 8
    expect(chip.registers().busVoltage >> 3).toBe(1256); // 1253.25 → 1256
    const sat = rig({ busVoltageV: 5, currentA: 5 });
    sat.clock.advance(2);
    expect(sat.chip.registers().shuntVoltage).toBe(32_000); // 500 mV clamps at +320 mV
  });

  it("INA219 emulator sets OVF when the current calculation leaves its register", async () => {
    const { bus, chip, clock } = rig({ busVoltageV: 5, currentA: 3 });
    await bus.writeWord(0x40, INA219_REG.calibration, swapBytes16(8192)); // 30000 · 8192 / 4096 = 60000
    clock.advance(2);
    expect(chip.registers().busVoltage & 1).toBe(1);
  });

  it("INA219 emulator NACKs an absent address with the kernel's errno", async () => {
    const { bus } = rig({ busVoltageV: 5, currentA: 0 });
    await expect(bus.readWord(0x41, 0)).rejects.toMatchObject({ code: "ENXIO", errno: 6 });
    const pi = new VirtualI2cBus({ nackCode: "EREMOTEIO" });
    await expect(pi.writeWord(0x45, 0, 0)).rejects.toMatchObject({ code: "EREMOTEIO", errno: 121 });
    expect(await bus.scan()).toEqual([0x40]);
    expect(await bus.scan(0x41)).toEqual([]);
  });
});

/** The chip's resolution for a reading: one quantisation step of each ADC plus one LSB of each calculation. */
function expectWithinResolution(chip: Ina219, truth: Ina219Truth, r: Awaited<ReturnType<Ina219["read"]>>) {
  const res = chip.resolution;
  const shuntR = chip.calibration.shuntResistanceOhm;
  expect(r.valid).toBe(true);
  expect(Math.abs(r.busVoltageV! - truth.busVoltageV)).toBeLessThanOrEqual(res.busVoltageV / 2 + 1e-9);
  expect(Math.abs(r.shuntVoltageMv! - truth.currentA * shuntR * 1000)).toBeLessThanOrEqual(
    res.shuntVoltageMv / 2 + 1e-9,
  );
  const currentTolA = res.shuntVoltageMv / 1000 / 2 / shuntR + res.currentA;
  expect(Math.abs(r.currentA! - truth.currentA)).toBeLessThanOrEqual(currentTolA + 1e-12);
  const powerTolW =
    currentTolA * (truth.busVoltageV + res.busVoltageV) +
    Math.abs(truth.currentA) * res.busVoltageV +
    res.powerW;
  expect(Math.abs(r.powerW! - Math.abs(truth.currentA) * truth.busVoltageV)).toBeLessThanOrEqual(powerTolW);
}

describe("INA219 emulator with the real driver", () => {
  it("INA219 emulator: the driver programs the datasheet calibration and reads it back", async () => {
    const { chip, open } = rig({ busVoltageV: 5, currentA: 0.5 });
    const ina = await open();
    expect(ina.calibration.calibrationRegister).toBe(4096);
    expect(chip.registers().calibration).toBe(4096);
    expect(chip.registers().config).toBe(ina.configRegister);
    expect(ina.configRegister).toBe(0x399f); // 32 V, /8, 12-bit, continuous: the power-on default
  });

  it("INA219 emulator: driver readings match the truth within the chip's resolution across a sweep", async () => {
    const truths: Ina219Truth[] = [
      { busVoltageV: 5.1, currentA: 0.0 },
      { busVoltageV: 5.05, currentA: 0.731 },
      { busVoltageV: 12.003, currentA: 1.999 },
      { busVoltageV: 3.3, currentA: -0.42 },
      { busVoltageV: 24.9, currentA: 0.0123 },
    ];
    const configs: Partial<Ina219Options>[] = [
      {},
      { shuntAdc: { bits: 9 }, busAdc: { bits: 10 } },
      { shuntAdc: { samples: 16 }, busAdc: { samples: 4 }, maxExpectedCurrentA: 2.5 },
      { mode: "triggered", shuntAdc: { bits: 11 } },
    ];
    let checked = 0;
    for (const truth of truths)
      for (const config of configs) {
        const { open } = rig(truth);
        const ina = await open(config);
        for (let i = 0; i < 3; i++) {
          expectWithinResolution(ina, truth, await ina.read());
          checked++;
        }
      }
    expect(checked).toBe(truths.length * configs.length * 3);
  });

  it("INA219 emulator: every gain, bus range and ADC setting reads random truths within resolution", async () => {
    const random = mulberry32(0x5eed); // deterministic, so a failure reproduces
    const adcs: Ina219Options["shuntAdc"][] = [
      ...([9, 10, 11, 12] as const).map((bits) => ({ bits })),
      ...([2, 4, 8, 16, 32, 64, 128] as const).map((samples) => ({ samples })),
    ];
    let checked = 0;
    for (const gain of [1, 2, 4, 8] as const)
      for (const busRangeV of [16, 32] as const)
        for (const shuntAdc of adcs)
          for (const busAdc of adcs) {
            const maxExpectedCurrentA = 0.4 * gain * 0.95; // 95 % of the PGA range through 0.1 Ω
            const truth = {
              busVoltageV: random() * 0.95 * Math.min(busRangeV, 26),
              currentA: (random() * 2 - 1) * maxExpectedCurrentA,
            };
            const { open } = rig(truth);
            const ina = await open({ gain, busRangeV, shuntAdc, busAdc, maxExpectedCurrentA });
            expectWithinResolution(ina, truth, await ina.read());
            checked++;
          }
    expect(checked).toBe(4 * 2 * 11 * 11);
  });

  it("INA219 emulator: a small shunt with an odd Cal still reads the truth (effective LSB)", async () => {
    const truth = { busVoltageV: 11.7, currentA: 2.345 };
    const { open } = rig(truth, 0.013);
    const ina = await open({ maxExpectedCurrentA: 3 });
    expect(ina.calibration.calibrationRegister).toBe(31506);
    expectWithinResolution(ina, truth, await ina.read());
  });

  it("INA219 emulator: averaging reports the mean of a fast-changing current", async () => {
    // 1 kHz ripple of ±0.5 A around 1 A: 128 samples over 68 ms average it out
    const scenario: Ina219Scenario = (t) => ({
      busVoltageV: 5,
      currentA: 1 + 0.5 * Math.sin(2 * Math.PI * t),
    });
    const { open } = rig(scenario);
    const ina = await open({ shuntAdc: { samples: 128 } });
    const r = await ina.read();
    expect(r.currentA!).toBeCloseTo(1, 2);
  });

  it("INA219 emulator: every read waits for a fresh conversion (CNVR) and timestamps it", async () => {
    const { clock, open } = rig((t) => ({ busVoltageV: 5, currentA: (t % 1000) / 1000 }));
    const ina = await open({ shuntAdc: { samples: 32 }, busAdc: { samples: 32 } });
    const a = await ina.read();
    const b = await ina.read();
    expect(b.tsMs - a.tsMs).toBeGreaterThanOrEqual(ina.conversionTimeMs * 0.99);
    expect(b.tsMs).toBe(clock.ms);
    expect(b.currentA).not.toBe(a.currentA);
  });

  it("INA219 emulator: concurrent reads of one chip are served one after the other, each fresh", async () => {
    const { open } = rig((t) => ({ busVoltageV: 5, currentA: 0.5 + (t % 100) / 1000 }));
    const ina = await open({ mode: "triggered", shuntAdc: { samples: 8 } });
    const readings = await Promise.all([ina.read(), ina.read(), ina.read()]);
    for (const r of readings) expect(r.valid).toBe(true);
    const ts = readings.map((r) => r.tsMs);
    expect(ts[1]! - ts[0]!).toBeGreaterThanOrEqual(ina.conversionTimeMs * 0.99);
    expect(ts[2]! - ts[1]!).toBeGreaterThanOrEqual(ina.conversionTimeMs * 0.99);
  });

  it("INA219 emulator: an overflowed reading is invalid and carries no current or power", async () => {
    const { open } = rig({ busVoltageV: 5, currentA: 3 });
    // Current_LSB 50 µA is allowed for 1.5 A expected, but 3 A then needs 60000 counts: OVF
    const ina = await open({ maxExpectedCurrentA: 1.5, currentLsbA: 5e-5, gain: 8 });
    const r = await ina.read();
    expect(r).toMatchObject({ valid: false, invalidReason: "overflow", busVoltageV: 5 });
    expect(r.currentA).toBeUndefined();
    expect(r.powerW).toBeUndefined();
  });

  it("INA219 emulator: a saturated shunt or bus makes the reading invalid", async () => {
    const shunt = rig({ busVoltageV: 5, currentA: 0.9 });
    const r = await (await shunt.open({ maxExpectedCurrentA: 0.4 })).read(); // ±40 mV range, 90 mV across
    expect(r).toMatchObject({ valid: false, invalidReason: "shunt-saturated" });
    expect(r.shuntVoltageMv).toBeUndefined();
    const bus = rig({ busVoltageV: 20, currentA: 0.1 });
    const b = await (await bus.open({ busRangeV: 16 })).read();
    expect(b).toMatchObject({ valid: false, invalidReason: "bus-saturated" });
    expect(b.busVoltageV).toBeUndefined();
    expect(b.currentA).toBeCloseTo(0.1, 3);
  });

  it("INA219 emulator: several chips on one bus read their own scenarios", async () => {
    const clock = new ManualClock();
    const bus = new VirtualI2cBus();
    const truths = new Map<number, Ina219Truth>([
      [0x40, { busVoltageV: 5.0, currentA: 0.25 }],
      [0x41, { busVoltageV: 12.0, currentA: 1.5 }],
      [0x44, { busVoltageV: 3.3, currentA: 0.05 }],
    ]);
    for (const [address, truth] of truths)
      bus.attach(
        address,
        new Ina219Emulator({
          nowMs: clock.nowMs,
          scenario: constantScenario(truth),
          shuntResistanceOhm: 0.1,
        }),
      );
    expect(await bus.scan()).toEqual([0x40, 0x41, 0x44]);
    const chips = await Promise.all(
      [...truths.keys()].map((address) =>
        Ina219.open({
          bus,
          address,
          busNumber: 1,
          shuntResistanceOhm: 0.1,
          maxExpectedCurrentA: 2,
          delay: clock.delay,
          nowMs: clock.nowMs,
        }),
      ),
    );
    expect(chips.map((c) => c.id)).toEqual(["ina219:1-0x40", "ina219:1-0x41", "ina219:1-0x44"]);
    const readings = await Promise.all(chips.map((c) => c.read()));
    for (const [i, r] of readings.entries())
      expectWithinResolution(chips[i]!, truths.get(chips[i]!.address)!, r);
  });

  it("INA219 emulator: transient I2C errors are retried with backoff, permanent ones are not", async () => {
    const { bus, clock, open } = rig({ busVoltageV: 5, currentA: 0.5 });
    const ina = await open();
    bus.failNext(2, "EREMOTEIO");
    const before = clock.ms;
    expect((await ina.read()).valid).toBe(true);
    expect(clock.ms - before).toBeGreaterThanOrEqual(2 + 4); // backoff 2 ms, then 4 ms
    bus.failNext(4, "EIO");
    const err = await ina.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cTransferError);
    expect(err).toMatchObject({ code: "EIO", attempts: 4, address: 0x40, register: INA219_REG.busVoltage });
    bus.failNext(1, "EINVAL");
    await expect(ina.read()).rejects.toMatchObject({ code: "EINVAL", attempts: 1 });
  });

  it("INA219 emulator: an absent chip fails configuration with I2cTransferError (NACK)", async () => {
    const { bus, clock } = rig({ busVoltageV: 5, currentA: 0 });
    const err = await Ina219.open({
      bus,
      address: 0x45,
      shuntResistanceOhm: 0.1,
      maxExpectedCurrentA: 1,
      delay: clock.delay,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(I2cTransferError);
    expect(err).toMatchObject({ code: "ENXIO", address: 0x45 });
  });

  it("INA219 emulator: a chip reset behind the driver's back is reprogrammed on the next read", async () => {
    const truth = { busVoltageV: 5, currentA: 0.5 };
    const { bus, chip, clock, open } = rig(truth);
    const ina = await open({ maxExpectedCurrentA: 1 });
    expectWithinResolution(ina, truth, await ina.read());
    await bus.writeWord(0x40, INA219_REG.config, swapBytes16(0x8000)); // a brown-out, or another process
    clock.advance(2);
    expect(chip.registers().calibration).toBe(0);
    expectWithinResolution(ina, truth, await ina.read());
    expect(ina.reconfigurations).toBe(1);
    expect(chip.registers().calibration).toBe(ina.calibration.calibrationRegister);
  });

  it("INA219 emulator: a chip that stops converting makes read() time out", async () => {
    const { open } = rig({ busVoltageV: 5, currentA: 0.5 });
    const ina = await open();
    await ina.read();
    await ina.powerDown();
    await expect(ina.read()).rejects.toBeInstanceOf(SensorTimeoutError);
  });

  it("INA219 emulator: a device that does not keep what is written is not taken for an INA219", async () => {
    const clock = new ManualClock();
    const bus = new VirtualI2cBus().attach(0x40, { write() {}, read: (n) => new Uint8Array(n).fill(0xff) });
    await expect(
      Ina219.open({ bus, shuntResistanceOhm: 0.1, maxExpectedCurrentA: 1, delay: clock.delay }),
    ).rejects.toBeInstanceOf(SensorConfigError);
  });
});
