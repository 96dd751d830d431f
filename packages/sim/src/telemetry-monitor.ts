import { telemetryV1 } from "@qonnect/proto";
import { connect, type NatsConnection } from "nats";

/** Keeps the latest DeviceTelemetry of every device in every region, straight off NATS. */
export class TelemetryMonitor {
  readonly latest = new Map<string, telemetryV1.DeviceTelemetry>();
  samples = 0;

  private constructor(private readonly nc: NatsConnection) {}

  static async open(natsUrl: string): Promise<TelemetryMonitor> {
    const nc = await connect({ servers: natsUrl, name: "qonnect-sim-monitor" });
    const monitor = new TelemetryMonitor(nc);
    nc.subscribe("qonnect.*.telemetry.*", {
      callback: (_err, msg) => {
        const t = telemetryV1.DeviceTelemetry.decode(msg.data);
        monitor.latest.set(t.device, t);
        monitor.samples++;
      },
    });
    await nc.flush();
    return monitor;
  }

  /** Workloads the device last reported as running. */
  running(device: string): string[] {
    const t = this.latest.get(device);
    return (t?.workloads ?? [])
      .filter((w) => w.state === telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING)
      .map((w) => `${w.service}/${w.replica}`);
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it became true. */
export async function pollUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}
