import { telemetryV1 } from "@qonnect/proto";
import { connect } from "nats";

export interface WatchOptions {
  servers: string[];
  region: string;
  /** one device, or every device of the region when left out */
  device?: string;
}

/** A decoded message seen by {@link watchTelemetry}. */
export type WatchedMessage =
  | { kind: "telemetry"; telemetry: telemetryV1.DeviceTelemetry }
  | { kind: "registration"; registration: telemetryV1.DeviceRegistration };

/** Subscribes to a region's telemetry and registrations and decodes them (for `qonnect agent watch`). */
export async function watchTelemetry(
  options: WatchOptions,
  onMessage: (m: WatchedMessage) => void,
): Promise<{ close(): Promise<void> }> {
  const nc = await connect({
    servers: options.servers,
    maxReconnectAttempts: -1,
    name: "qonnect-agent-watch",
  });
  const device = options.device ?? "*";
  nc.subscribe(`qonnect.${options.region}.telemetry.${device}`, {
    callback: (_err, msg) =>
      onMessage({ kind: "telemetry", telemetry: telemetryV1.DeviceTelemetry.decode(msg.data) }),
  });
  nc.subscribe(`qonnect.${options.region}.register.${device}`, {
    callback: (_err, msg) =>
      onMessage({ kind: "registration", registration: telemetryV1.DeviceRegistration.decode(msg.data) }),
  });
  await nc.flush();
  return { close: () => nc.close() };
}

/** One line per sample: device, seq, power and where it came from, volts, amps, cpu, memory, workloads. */
export function formatTelemetryLine(t: telemetryV1.DeviceTelemetry): string {
  const source = t.powerSource === telemetryV1.PowerSource.POWER_SOURCE_MEASURED ? "measured" : "model";
  const running = t.workloads.filter(
    (w) => w.state === telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING,
  ).length;
  const parts = [
    new Date(t.tsMs).toISOString().slice(11, 23),
    `${t.device}`,
    `seq ${t.seq}${t.late ? " (late)" : ""}`,
    `${t.powerW.toFixed(3)} W ${source}`,
    `${t.busVoltageV.toFixed(3)} V`,
    `${t.currentA.toFixed(4)} A`,
    `cpu ${(t.cpuUtil * 100).toFixed(1)}%`,
    `mem ${(t.memoryUsedBytes / 2 ** 30).toFixed(2)}/${(t.memoryTotalBytes / 2 ** 30).toFixed(2)} GiB`,
    `workloads ${running}/${t.workloads.length} running`,
  ];
  if (t.battery) parts.push(`battery ${(t.battery.soc * 100).toFixed(0)}%`);
  if (t.temperatureC !== undefined) parts.push(`${t.temperatureC.toFixed(1)} °C`);
  return parts.join("  ");
}

/** The protobuf JSON form of a sample (enum names, camelCase fields). */
export function telemetryJson(t: telemetryV1.DeviceTelemetry): unknown {
  return telemetryV1.DeviceTelemetry.toJSON(t);
}
