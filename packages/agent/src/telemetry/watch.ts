import { telemetryV1 } from "@qonnect/proto";
import { connect, Events } from "nats";
import { SequenceGaps } from "./sequence-gaps.js";

export interface WatchOptions {
  servers: string[];
  region: string;
  /** one device, or every device of the region when left out */
  device?: string;
}

/** A decoded message seen by {@link watchTelemetry}. */
export type WatchedMessage =
  | { kind: "telemetry"; telemetry: telemetryV1.DeviceTelemetry; repeat: boolean }
  | { kind: "registration"; registration: telemetryV1.DeviceRegistration }
  /** The link to NATS dropped: samples published meanwhile reach this watcher only if the agent still spools. */
  | { kind: "disconnected"; server: string }
  | { kind: "reconnected"; server: string }
  /** Sequence numbers of a device that this watcher never saw (seq fromSeq..toSeq). */
  | { kind: "gap"; device: string; fromSeq: number; toSeq: number; missing: number };

/**
 * Subscribes to a region's telemetry and registrations and decodes them (for `qonnect agent watch`), and says
 * when the connection drops and comes back and which sequence numbers it did not see.
 */
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
  const gaps = new SequenceGaps();
  nc.subscribe(`qonnect.${options.region}.telemetry.${device}`, {
    callback: (_err, msg) => {
      let telemetry: telemetryV1.DeviceTelemetry;
      try {
        telemetry = telemetryV1.DeviceTelemetry.decode(msg.data);
      } catch {
        return; // not telemetry: dropped
      }
      const seen = gaps.observe(telemetry.device, telemetry.seq);
      if (seen.kind === "gap") onMessage({ ...seen, device: telemetry.device });
      onMessage({ kind: "telemetry", telemetry, repeat: seen.kind === "repeat" });
    },
  });
  nc.subscribe(`qonnect.${options.region}.register.${device}`, {
    callback: (_err, msg) => {
      try {
        onMessage({ kind: "registration", registration: telemetryV1.DeviceRegistration.decode(msg.data) });
      } catch {
        // not a registration: dropped
      }
    },
  });
  await nc.flush();
  void (async () => {
    for await (const s of nc.status()) {
      const server = String(s.data);
      if (s.type === Events.Disconnect) onMessage({ kind: "disconnected", server });
      else if (s.type === Events.Reconnect) onMessage({ kind: "reconnected", server });
    }
  })();
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

/** One line for people per watched message: samples, registrations, the link, gaps. */
export function formatWatched(m: WatchedMessage): string {
  switch (m.kind) {
    case "registration": {
      const r = m.registration;
      return `registered ${r.device} (${r.tier}, ${r.arch}, ${r.cpuCores} cores, runtime ${r.runtime}, sensors ${r.sensors.join(",") || "none"})`;
    }
    case "telemetry":
      return `${formatTelemetryLine(m.telemetry)}${m.repeat ? "  (repeat)" : ""}`;
    case "disconnected":
      return `disconnected from NATS (${m.server}); reconnecting — samples sent meanwhile may be missed`;
    case "reconnected":
      return `reconnected to NATS (${m.server})`;
    case "gap":
      return `gap: ${m.device} seq ${m.fromSeq}..${m.toSeq} missing (${m.missing} samples)`;
  }
}

/** One JSON object per watched message (`--json`, JSON Lines): samples in protobuf JSON, events as `{"event"}`. */
export function watchedJson(m: WatchedMessage): unknown {
  if (m.kind === "registration") return { registration: m.registration };
  if (m.kind === "telemetry") {
    const json = telemetryJson(m.telemetry) as Record<string, unknown>;
    return m.repeat ? { ...json, repeat: true } : json;
  }
  const { kind, ...rest } = m;
  return { event: kind, ...rest };
}
