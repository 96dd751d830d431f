// What the boards' agents report, as the region's NATS carries it: every telemetry sample and registration,
// with the time the rig received it. The suite's checks (first telemetry after a boot, sequence gaps after a
// cut, double runs during a leader loss) read this log.
import { telemetryV1 } from "@qonnect/proto";
import { type ConnectionOptions, connect, type NatsConnection } from "nats";

export interface Sample {
  device: string;
  seq: number;
  tsMs: number;
  late: boolean;
  powerW: number;
  receivedMs: number;
  /** app/service/replica of the workloads reported running. */
  running: string[];
}

export interface Registration {
  device: string;
  tsMs: number;
  receivedMs: number;
}

export class TelemetryLog {
  readonly samples = new Map<string, Sample[]>();
  readonly registrations = new Map<string, Registration[]>();
  /** Messages that did not decode (counted, dropped). */
  bad = 0;

  private constructor(private readonly nc: NatsConnection) {}

  /** `connection`: TLS and credentials of the rig's bundle (natsConnectOptions), nothing for plaintext. */
  static async open(
    servers: string[],
    region: string,
    connection: Partial<ConnectionOptions> = {},
  ): Promise<TelemetryLog> {
    const nc = await connect({ ...connection, servers, name: "qonnect-hil-telemetry" });
    const log = new TelemetryLog(nc);
    nc.subscribe(`qonnect.${region}.telemetry.*`, { callback: (_e, m) => log.#sample(m.data) });
    nc.subscribe(`qonnect.${region}.register.*`, { callback: (_e, m) => log.#registration(m.data) });
    await nc.flush();
    return log;
  }

  #sample(data: Uint8Array): void {
    try {
      const t = telemetryV1.DeviceTelemetry.decode(data);
      const s: Sample = {
        device: t.device,
        seq: Number(t.seq),
        tsMs: Number(t.tsMs),
        late: t.late,
        powerW: t.powerW,
        receivedMs: Date.now(),
        running: t.workloads
          .filter((w) => w.state === telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING)
          .map((w) => `${w.app}/${w.service}/${w.replica}`),
      };
      const list = this.samples.get(s.device) ?? [];
      list.push(s);
      this.samples.set(s.device, list);
    } catch {
      this.bad++;
    }
  }

  #registration(data: Uint8Array): void {
    try {
      const r = telemetryV1.DeviceRegistration.decode(data);
      const list = this.registrations.get(r.device) ?? [];
      list.push({ device: r.device, tsMs: Number(r.tsMs), receivedMs: Date.now() });
      this.registrations.set(r.device, list);
    } catch {
      this.bad++;
    }
  }

  of(device: string): Sample[] {
    return this.samples.get(device) ?? [];
  }

  /** The first live (not replayed) sample of `device` received at or after `sinceMs`. */
  firstLiveSince(device: string, sinceMs: number): Sample | undefined {
    return this.of(device).find((s) => s.receivedMs >= sinceMs && !s.late);
  }

  /** The latest sample of `device`. */
  latest(device: string): Sample | undefined {
    const list = this.of(device);
    return list[list.length - 1];
  }

  /**
   * Sequence numbers missing between the first sample received at or after `fromMs` and the highest seen
   * since, counting replayed (late) samples: the gaps an outage left that the spool did not fill.
   */
  missingSeqs(device: string, fromMs: number): number[] {
    const since = this.of(device).filter((s) => s.receivedMs >= fromMs);
    if (since.length === 0) return [];
    const seen = new Set(since.map((s) => s.seq));
    const lo = since[0]!.seq;
    const hi = Math.max(...seen);
    const missing: number[] = [];
    for (let q = lo; q <= hi; q++) if (!seen.has(q)) missing.push(q);
    return missing;
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}
