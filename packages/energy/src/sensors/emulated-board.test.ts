// The emulated board read through the real drivers (Ina219 for the load rail, UpsHat for the battery path)
// on the register-accurate INA219 emulator, with a manual clock.
import { ManualClock } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { EmulatedBoard } from "./emulated-board.js";
import { Ina219 } from "./ina219.js";
import { Ina219Emulator } from "./ina219-emulator.js";
import { UpsHat, WAVESHARE_UPS_HAT } from "./ups-hat.js";
import { VirtualI2cBus } from "./virtual-i2c-bus.js";

const PI5 = { idleW: 2.7, maxW: 7.0, gamma: 1 };

async function rig(o: { soc?: number; solarW?: number; util?: number; battery?: boolean }) {
  const clock = new ManualClock();
  const env = { util: o.util ?? 0, solarW: o.solarW ?? 0 };
  const board = new EmulatedBoard({
    nowMs: clock.nowMs,
    model: PI5,
    busVoltageV: 5.1,
    utilisation: () => env.util,
    solarW: () => env.solarW,
    ...(o.battery === false ? {} : { battery: { capacityWh: 37, initialSoc: o.soc ?? 0.5, minSoc: 0.2 } }),
  });
  const bus = new VirtualI2cBus();
  bus.attach(
    0x40,
    new Ina219Emulator({ nowMs: clock.nowMs, scenario: board.loadScenario(), shuntResistanceOhm: 0.1 }),
  );
  const batteryScenario = board.batteryScenario();
  if (batteryScenario)
    bus.attach(
      0x42,
      new Ina219Emulator({ nowMs: clock.nowMs, scenario: batteryScenario, shuntResistanceOhm: 0.1 }),
    );
  const common = { bus, nowMs: clock.nowMs, delay: clock.delay };
  const load = await Ina219.open({
    ...common,
    address: 0x40,
    shuntResistanceOhm: 0.1,
    maxExpectedCurrentA: 3.2,
  });
  const ups = batteryScenario
    ? await UpsHat.open({ ...common, preset: WAVESHARE_UPS_HAT, capacityAh: board.batteryCapacityAh ?? 1 })
    : undefined;
  return { clock, env, board, load, ups };
}

describe("emulated board (power model, battery, solar) through the INA219 emulator", () => {
  it("emulator: the load rail's measured power follows the workload utilisation through the power model", async () => {
    const { clock, env, load } = await rig({ battery: false });
    clock.advance(100);
    const idle = await load.read();
    expect(idle.powerW).toBeCloseTo(2.7, 1);
    env.util = 0.5;
    clock.advance(100);
    const half = await load.read();
    expect(half.powerW).toBeCloseTo(2.7 + 0.5 * 4.3, 1);
    expect(half.busVoltageV).toBeCloseTo(5.1, 1);
  });

  it("emulator: without sun the battery discharges (SoC falls, current negative), with sun it charges", async () => {
    const { clock, env, board, ups } = await rig({ soc: 0.6, solarW: 0 });
    const first = await ups!.read();
    expect(first.currentA).toBeLessThan(0);
    expect(first.batteryStatus).toBe("discharging");
    for (let i = 0; i < 60; i++) {
      clock.advance(60_000);
      await ups!.read();
    }
    const dark = board.at();
    // an hour at 2.7 W from 37 Wh: about 7 % of charge gone
    expect(dark.soc!).toBeLessThan(0.6 - 0.06);
    expect(dark.soc!).toBeGreaterThan(0.6 - 0.09);
    expect(dark.solarExcessW).toBe(0);
    env.solarW = 10;
    clock.advance(1000);
    const sunny = await ups!.read();
    expect(sunny.currentA).toBeGreaterThan(0);
    expect(sunny.batteryStatus).toBe("charging");
    const before = board.at().soc!;
    clock.advance(600_000);
    expect(board.at().soc!).toBeGreaterThan(before);
    expect(board.at().solarExcessW).toBeCloseTo(10 - 2.7, 6);
    // the UPS HAT's estimator (from the emulated registers) tracks the true state of charge
    const est = await ups!.read();
    expect(est.stateOfCharge!).toBeGreaterThan(board.at().soc! - 0.1);
    expect(est.stateOfCharge!).toBeLessThan(board.at().soc! + 0.1);
  });

  it("emulator: sunset — the solar excess falls to zero and the supply covers what the battery cannot", async () => {
    const { clock, env, board } = await rig({ soc: 0.2, solarW: 6.7 });
    clock.advance(1000);
    expect(board.at().solarExcessW).toBeCloseTo(4.0, 6);
    expect(board.at().supplyW).toBeCloseTo(0, 6);
    env.solarW = 0;
    clock.advance(1000);
    expect(board.at().batteryW).toBeLessThan(0); // the little the sun put in comes back out
    clock.advance(10_000);
    board.at();
    clock.advance(1000);
    const night = board.at();
    expect(night.solarExcessW).toBe(0);
    // the battery sits at its minimum: it cannot discharge, the supply carries the whole load
    expect(night.batteryW).toBe(0);
    expect(night.supplyW).toBeCloseTo(2.7, 6);
  });

  it("emulator: time never runs backwards (a read inside an earlier conversion window changes nothing)", async () => {
    const { clock, board } = await rig({ soc: 0.5 });
    clock.advance(10_000);
    const now = board.at();
    expect(board.at(now.tsMs - 5000)).toBe(now);
  });
});
