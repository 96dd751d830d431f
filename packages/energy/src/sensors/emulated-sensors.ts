// A small emulated rig for demos, `qonnect sensors --emulate` and simulated devices: one virtual I2C bus with
// an INA219 on a 5 V load at 0x40 and a Waveshare-style UPS HAT (INA219 at 0x42, 2 × 18650) discharging.
import { batteryScenario } from "./battery-scenario.js";
import { Ina219 } from "./ina219.js";
import { Ina219Emulator } from "./ina219-emulator.js";
import type { Delay } from "./retry.js";
import type { Sensor } from "./sensor.js";
import { UpsHat, WAVESHARE_UPS_HAT } from "./ups-hat.js";
import { VirtualI2cBus } from "./virtual-i2c-bus.js";

export interface EmulatedRig {
  bus: VirtualI2cBus;
  sensors: Sensor[];
}

export async function createEmulatedRig(options: {
  nowMs: () => number;
  delay?: Delay;
}): Promise<EmulatedRig> {
  const startMs = options.nowMs();
  const bus = new VirtualI2cBus({ nackCode: "EREMOTEIO" });
  // a board drawing 0.8 A ± 0.3 A with a 10 s period from a 5.1 V supply
  bus.attach(
    0x40,
    new Ina219Emulator({
      nowMs: options.nowMs,
      shuntResistanceOhm: 0.1,
      scenario: (t) => ({
        busVoltageV: 5.1,
        currentA: 0.8 + 0.3 * Math.sin((2 * Math.PI * (t - startMs)) / 10_000),
      }),
    }),
  );
  bus.attach(
    WAVESHARE_UPS_HAT.address,
    new Ina219Emulator({
      nowMs: options.nowMs,
      shuntResistanceOhm: WAVESHARE_UPS_HAT.shuntResistanceOhm,
      scenario: batteryScenario({
        startMs,
        capacityAh: WAVESHARE_UPS_HAT.capacityAh,
        cellsInSeries: WAVESHARE_UPS_HAT.cellsInSeries,
        initialStateOfCharge: 0.75,
        segments: [{ durationS: 3600, currentA: -0.9 }],
      }),
    }),
  );
  const common = {
    bus,
    nowMs: options.nowMs,
    ...(options.delay ? { delay: options.delay } : {}),
  };
  const load = await Ina219.open({
    ...common,
    address: 0x40,
    shuntResistanceOhm: 0.1,
    maxExpectedCurrentA: 2,
    label: "emulated INA219 (5 V load)",
  });
  const ups = await UpsHat.open({
    ...common,
    preset: WAVESHARE_UPS_HAT,
    label: "emulated UPS HAT (2 × 18650)",
  });
  return { bus, sensors: [load, ups] };
}
