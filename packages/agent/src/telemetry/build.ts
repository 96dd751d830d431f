import { attributePower, type PowerModel, powerW } from "@qonnect/energy";
import { telemetryV1 } from "@qonnect/proto";
import type { AgentSensorReading } from "../sensors/sensor.js";
import type { SystemSample } from "./system-sampler.js";

const { PowerSource, BatteryStatus } = telemetryV1;

export interface SampleInputs {
  device: string;
  region: string;
  tsMs: number;
  seq: number;
  system: SystemSample;
  cpuCores: number;
  power?: AgentSensorReading;
  battery?: AgentSensorReading;
  model: PowerModel;
  workloads: telemetryV1.WorkloadStatus[];
  /** Solar power above the device's own draw, W (an emulated board's; 0 where nothing measures it). */
  solarExcessW?: number;
}

/**
 * One DeviceTelemetry sample: measured power where a valid sensor reading exists, else the power model
 * P(cpuUtil), with `powerSource` saying which; each workload's `powerW` is its CPU share of the active power.
 */
export function buildTelemetry(input: SampleInputs): telemetryV1.DeviceTelemetry {
  const measured = input.power?.valid && input.power.powerW !== undefined ? input.power : undefined;
  const totalW = measured?.powerW ?? powerW(input.model, input.system.cpuUtil);
  const shares = attributePower({
    totalPowerW: totalW,
    idlePowerW: input.model.idleW,
    workloads: input.workloads.map((w, i) => ({ name: String(i), cpuS: w.cpuCores })),
  });
  const workloads = input.workloads.map((w, i) => ({ ...w, powerW: round(shares[i]?.activePowerW ?? 0, 4) }));
  return telemetryV1.DeviceTelemetry.fromPartial({
    device: input.device,
    region: input.region,
    tsMs: input.tsMs,
    seq: input.seq,
    late: false,
    powerW: totalW,
    powerSource: measured ? PowerSource.POWER_SOURCE_MEASURED : PowerSource.POWER_SOURCE_MODEL,
    busVoltageV: measured?.busVoltageV ?? 0,
    currentA: measured?.currentA ?? 0,
    battery: toBattery(input.battery),
    cpuUtil: input.system.cpuUtil,
    memoryUsedBytes: input.system.memoryUsedBytes,
    memoryTotalBytes: input.system.memoryTotalBytes,
    gpuUtil: input.system.gpuUtil,
    temperatureC: input.system.temperatureC,
    workloads,
    solarExcessW: round(input.solarExcessW ?? 0, 3),
  });
}

function toBattery(r: AgentSensorReading | undefined): telemetryV1.Battery | undefined {
  if (!r?.valid || r.stateOfCharge === undefined) return undefined;
  const status = {
    charging: BatteryStatus.BATTERY_STATUS_CHARGING,
    discharging: BatteryStatus.BATTERY_STATUS_DISCHARGING,
    full: BatteryStatus.BATTERY_STATUS_FULL,
    "not-charging": BatteryStatus.BATTERY_STATUS_IDLE,
    unknown: BatteryStatus.BATTERY_STATUS_UNSPECIFIED,
  }[r.batteryStatus ?? "unknown"];
  return { soc: r.stateOfCharge, voltageV: r.busVoltageV ?? 0, currentA: r.currentA ?? 0, status };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
