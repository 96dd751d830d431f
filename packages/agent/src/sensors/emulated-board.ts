// `sensors: { mode: emulate, emulate: { followLoad: true, solarW, solarFile, battery } }`: an electrically
// honest emulated board (@qonnect/energy's EmulatedBoard) behind two register-accurate INA219 emulators on a
// virtual I2C bus — the load rail at 0x40 (read by the INA219 driver) and a UPS HAT's battery path at 0x42
// (read by the UPS HAT driver, whose estimator turns the registers into a state of charge). The load follows
// the workloads' CPU use through the device's power profile; the sun is a number of watts, settable at run
// time through `solarFile` (the demo's sunset writes 0 there).
import { readFile } from "node:fs/promises";
import {
  EmulatedBoard,
  Ina219,
  Ina219Emulator,
  UpsHat,
  VirtualI2cBus,
  WAVESHARE_UPS_HAT,
} from "@qonnect/energy";
import type { EmulatedSensorSpec, PowerProfile } from "../config/config.js";
import type { BoardHooks, SensorSet } from "./sensor.js";

const LOAD_ADDRESS = 0x40;

/** Parses the solar file: one number of watts (whitespace around it allowed); undefined when it is not one. */
export function parseSolarW(text: string): number | undefined {
  const v = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

export async function openEmulatedBoard(
  spec: EmulatedSensorSpec,
  power: PowerProfile,
  hostCores: number,
  nowMs: () => number = Date.now,
): Promise<SensorSet & { board: BoardHooks }> {
  const env = { util: 0, solarW: spec.solarW ?? 0 };
  const cores = spec.cpuCores ?? hostCores;
  const board = new EmulatedBoard({
    nowMs,
    model: power,
    busVoltageV: spec.busVoltageV,
    utilisation: () => env.util,
    solarW: () => env.solarW,
    ...(spec.battery
      ? {
          battery: {
            capacityWh: spec.battery.capacityWh,
            initialSoc: spec.battery.soc,
            minSoc: Math.min(spec.battery.minSoc, spec.battery.soc),
          },
        }
      : {}),
  });
  const bus = new VirtualI2cBus({ nackCode: "EREMOTEIO" });
  bus.attach(
    LOAD_ADDRESS,
    new Ina219Emulator({
      nowMs,
      scenario: board.loadScenario(),
      shuntResistanceOhm: spec.shuntResistanceOhm,
    }),
  );
  const batteryScenario = board.batteryScenario();
  if (batteryScenario)
    bus.attach(
      WAVESHARE_UPS_HAT.address,
      new Ina219Emulator({
        nowMs,
        scenario: batteryScenario,
        shuntResistanceOhm: WAVESHARE_UPS_HAT.shuntResistanceOhm,
      }),
    );
  const power_ = await Ina219.open({
    bus,
    nowMs,
    address: LOAD_ADDRESS,
    shuntResistanceOhm: spec.shuntResistanceOhm,
    maxExpectedCurrentA: 3.2,
    label: "INA219 (emulated board: power model, solar, battery)",
  });
  const battery = batteryScenario
    ? await UpsHat.open({
        bus,
        nowMs,
        preset: WAVESHARE_UPS_HAT,
        capacityAh: board.batteryCapacityAh ?? WAVESHARE_UPS_HAT.capacityAh,
        label: "UPS HAT (emulated, 2 × 18650)",
      })
    : undefined;
  const notes = [
    `${power_.id}: emulated INA219 on a virtual I2C bus, load from the power profile (${power.idleW}–${power.maxW} W over ${cores} cores)`,
    `solar: ${spec.solarFile ? `${spec.solarFile} (W), else ${env.solarW} W` : `${env.solarW} W`}`,
    ...(battery ? [`${battery.id}: emulated UPS HAT, ${spec.battery?.capacityWh} Wh`] : []),
  ];
  return {
    power: power_,
    ...(battery ? { battery } : {}),
    notes,
    board: {
      async update(workloadCores) {
        // integrate up to now at the old load and sun, then take the new ones
        board.at(nowMs());
        env.util = Math.min(1, Math.max(0, workloadCores / cores));
        if (spec.solarFile) {
          const w = await readFile(spec.solarFile, "utf8").then(parseSolarW, () => undefined);
          if (w !== undefined) env.solarW = w;
        }
      },
      solarExcessW: () => board.at(nowMs()).solarExcessW,
    },
  };
}
