// The rig's own INA219 on a board's supply, read through @qonnect/energy's driver: on a real rig over
// /dev/i2c-N, on the simulated rig over a virtual I2C bus with the register-accurate emulator, fed from the
// electrical model (electrical-model.ts) through the rig meter's own errors.
import {
  type I2cBus,
  Ina219,
  Ina219Emulator,
  type Ina219Scenario,
  openI2cBus,
  type SensorReading,
  VirtualI2cBus,
} from "@qonnect/energy";
import type { MeterSpec } from "./rig-manifest.js";

export interface Meter {
  read(): Promise<SensorReading>;
}

async function openOn(bus: I2cBus, spec: MeterSpec, board: string): Promise<Meter> {
  return Ina219.open({
    bus,
    busNumber: spec.bus,
    address: spec.address,
    shuntResistanceOhm: spec.shuntOhm,
    maxExpectedCurrentA: spec.maxCurrentA,
    label: `rig meter of ${board}`,
  });
}

/** The INA219 breakout on the rig host's I2C bus. */
export async function openRealMeter(spec: MeterSpec, board: string): Promise<Meter> {
  return openOn(await openI2cBus(spec.bus), spec, board);
}

/** One virtual I2C bus per rig bus number, shared by the meters on it (as the breakouts share SDA/SCL). */
export class EmulatedMeterBuses {
  readonly #buses = new Map<number, VirtualI2cBus>();

  async open(spec: MeterSpec, board: string, scenario: Ina219Scenario): Promise<Meter> {
    let bus = this.#buses.get(spec.bus);
    if (!bus) {
      bus = new VirtualI2cBus({ nackCode: "EREMOTEIO" });
      this.#buses.set(spec.bus, bus);
    }
    bus.attach(
      spec.address,
      new Ina219Emulator({ nowMs: Date.now, scenario, shuntResistanceOhm: spec.shuntOhm }),
    );
    return openOn(bus, spec, board);
  }
}
