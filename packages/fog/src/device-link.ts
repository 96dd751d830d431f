// The fog lead's side of the device contract over NATS (DESIGN.md §5): telemetry (the heartbeat) and
// registrations in, fenced DeviceCommands out (request/reply), region summaries out. Every member listens,
// so a new leader starts with warm detectors; only the leader acts on what it hears. Bad input is dropped
// and counted, never thrown.
import { telemetryV1 } from "@qonnect/proto";
import type { NatsConnection, Subscription } from "nats";
import type { FailureDetector } from "./detector.js";
import { DISCONNECT_EVENTS, deviceDisconnect } from "./disconnect-event.js";
import {
  DEFAULT_PLAUSIBILITY,
  type ImplausibleReason,
  ImplausibleStreaks,
  implausibility,
  type PlausibilityConfig,
} from "./plausibility.js";
import type { DeviceFacts } from "./region-command.js";
import type { LiveDevice } from "./region-view.js";

export const fogSubjects = {
  telemetry: (region: string, device: string) => `qonnect.${region}.telemetry.${device}`,
  register: (region: string, device: string) => `qonnect.${region}.register.${device}`,
  command: (region: string, device: string) => `qonnect.${region}.cmd.${device}`,
  summary: (region: string) => `qonnect.${region}.summary`,
} as const;

export interface LinkCounters {
  telemetry: number;
  registrations: number;
  dropped: number;
  /** Samples dropped by the plausibility bounds, by reason (plausibility.ts). */
  implausiblePower: number;
  implausibleSoc: number;
  implausibleClock: number;
  implausibleSequence: number;
  /** Disconnect advisories naming a device of this region. */
  disconnects: number;
}

const COUNTER_OF: Record<ImplausibleReason, keyof LinkCounters> = {
  power: "implausiblePower",
  soc: "implausibleSoc",
  clock: "implausibleClock",
  sequence: "implausibleSequence",
};

export interface DeviceLinkOptions {
  /** A device's declared maximum power (its inventory entry), if any. */
  declaredMaxW?: (device: string) => number | undefined;
  plausibility?: PlausibilityConfig;
  /** Listen to the server's disconnect advisories (default true). */
  disconnectEvents?: boolean;
  onRegistration?: (facts: DeviceFacts) => void;
}

export class DeviceLink {
  readonly live = new Map<string, LiveDevice>();
  /** The latest registration of every device heard from (the leader proposes the ones the log lacks). */
  readonly registrations = new Map<string, DeviceFacts>();
  /** Devices whose latest report lists workloads (candidates for stray checks). */
  readonly reportingWorkloads = new Set<string>();
  readonly counters: LinkCounters = {
    telemetry: 0,
    registrations: 0,
    dropped: 0,
    implausiblePower: 0,
    implausibleSoc: 0,
    implausibleClock: 0,
    implausibleSequence: 0,
    disconnects: 0,
  };
  /** Devices sending implausible samples in a row (the leader judges them suspect once it persists). */
  readonly implausible: ImplausibleStreaks;
  /** Devices that registered since their last sample: their next sequence number is a fresh start. */
  private readonly seqRestart = new Set<string>();
  private subs: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly region: string,
    private readonly detector: FailureDetector,
    private readonly siteOf: (device: string) => string,
    private readonly nowMs: () => number,
    private readonly o: DeviceLinkOptions = {},
  ) {
    this.implausible = new ImplausibleStreaks((o.plausibility ?? DEFAULT_PLAUSIBILITY).suspectAfterSamples);
  }

  start(): void {
    const tel = this.nc.subscribe(fogSubjects.telemetry(this.region, "*"), {
      callback: (err, msg) => {
        if (err) return;
        this.onTelemetry(msg.subject, msg.data);
      },
    });
    const reg = this.nc.subscribe(fogSubjects.register(this.region, "*"), {
      callback: (err, msg) => {
        if (err) return;
        this.onRegister(msg.subject, msg.data);
      },
    });
    this.subs = [tel, reg];
    if (this.o.disconnectEvents !== false)
      this.subs.push(
        this.nc.subscribe(DISCONNECT_EVENTS, {
          callback: (err, msg) => {
            if (!err) this.onDisconnect(msg.data);
          },
        }),
      );
  }

  /** A disconnect advisory: evidence for the detector about a device of this region (others are ignored). */
  onDisconnect(data: Uint8Array): void {
    const d = deviceDisconnect(data, this.region);
    if (!d || !(this.live.has(d.device) || this.registrations.has(d.device))) return;
    this.counters.disconnects++;
    this.detector.disconnect(d.device, this.nowMs(), d.why);
  }

  private deviceOf(subject: string): string {
    return subject.slice(subject.lastIndexOf(".") + 1);
  }

  onTelemetry(subject: string, data: Uint8Array): void {
    let t: telemetryV1.DeviceTelemetry;
    try {
      t = telemetryV1.DeviceTelemetry.decode(data);
    } catch {
      this.counters.dropped++;
      return;
    }
    const device = this.deviceOf(subject);
    if (t.device !== device || (t.region && t.region !== this.region)) {
      this.counters.dropped++;
      return;
    }
    this.counters.telemetry++;
    const now = this.nowMs();
    const prev = this.live.get(device);
    if (t.late) {
      // replayed from the agent's spool: history, not a heartbeat
      if (prev) prev.lastSeq = Math.max(prev.lastSeq, t.seq);
      return;
    }
    const doubt = implausibility(
      t,
      {
        lastSeq: prev && !this.seqRestart.has(device) ? prev.lastSeq : undefined,
        declaredMaxW: this.o.declaredMaxW?.(device),
        nowMs: now,
      },
      this.o.plausibility,
    );
    if (doubt) {
      this.counters[COUNTER_OF[doubt.reason]]++;
      this.implausible.implausible(device, doubt.detail);
      if (doubt.heartbeat) {
        this.detector.observe(device, this.siteOf(device), now);
        if (prev) {
          prev.lastSeenMs = now;
          prev.lastSeq = t.seq;
        }
      }
      return;
    }
    this.implausible.plausible(device);
    this.seqRestart.delete(device);
    this.detector.observe(device, this.siteOf(device), now);
    const dtH = prev ? Math.max(0, now - prev.lastSeenMs) / 3_600_000 : 0;
    const gap = prev && t.seq > prev.lastSeq + 1 ? t.seq - prev.lastSeq - 1 : 0;
    const next: LiveDevice = {
      lastSeenMs: now,
      lastSeq: t.seq,
      samplesMissed: (prev?.samplesMissed ?? 0) + gap,
      powerW: t.powerW,
      powerSource: t.powerSource,
      battery: t.battery,
      solarExcessW: t.solarExcessW,
      cpuUtil: t.cpuUtil,
      memoryUsedBytes: t.memoryUsedBytes,
      memoryTotalBytes: t.memoryTotalBytes,
      workloads: t.workloads,
      energyWh: (prev?.energyWh ?? 0) + (prev ? prev.powerW * dtH : 0),
      solarEnergyWh: (prev?.solarEnergyWh ?? 0) + (prev ? Math.min(prev.powerW, prev.solarExcessW) * dtH : 0),
      clockOffsetMs: t.tsMs ? t.tsMs - now : 0,
    };
    this.live.set(device, next);
    if (t.workloads.length > 0) this.reportingWorkloads.add(device);
    else this.reportingWorkloads.delete(device);
  }

  onRegister(subject: string, data: Uint8Array): void {
    let r: telemetryV1.DeviceRegistration;
    try {
      r = telemetryV1.DeviceRegistration.decode(data);
    } catch {
      this.counters.dropped++;
      return;
    }
    if (r.device !== this.deviceOf(subject) || (r.region && r.region !== this.region)) {
      this.counters.dropped++;
      return;
    }
    this.counters.registrations++;
    const facts: DeviceFacts = {
      name: r.device,
      site: r.site,
      tier: r.tier,
      arch: r.arch,
      cpuCores: r.cpuCores,
      memoryBytes: r.memoryBytes,
      gpus: r.gpus,
      labels: Object.fromEntries(Object.entries(r.labels).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
    this.registrations.set(r.device, facts);
    // an agent registers on every (re)connect; one that lost its state numbers its samples from 0 again
    this.seqRestart.add(r.device);
    this.o.onRegistration?.(facts);
  }

  /** Sends a fenced command and returns the device's ack (throws on timeout or no responder). */
  async command(cmd: telemetryV1.DeviceCommand, timeoutMs: number): Promise<telemetryV1.CommandAck> {
    const reply = await this.nc.request(
      fogSubjects.command(this.region, cmd.device),
      telemetryV1.DeviceCommand.encode(cmd).finish(),
      { timeout: timeoutMs },
    );
    return telemetryV1.CommandAck.decode(reply.data);
  }

  publishSummary(parts: Uint8Array[]): void {
    for (const p of parts) this.nc.publish(fogSubjects.summary(this.region), p);
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}
