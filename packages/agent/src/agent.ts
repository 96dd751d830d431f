import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PowerCalibrator, type PowerModel } from "@qonnect/energy";
import { telemetryV1 } from "@qonnect/proto";
import type { Logger } from "pino";
import { CommandHandler, compareTokens, formatToken } from "./commands.js";
import type { AgentConfig } from "./config/config.js";
import type { AgentStatus } from "./http-server.js";
import { startHttpServer } from "./http-server.js";
import { AgentMetrics } from "./metrics.js";
import { NatsLink } from "./nats-link.js";
import { createRuntime } from "./runtime/create.js";
import { type Runtime, serialised, workloadStateName } from "./runtime/runtime.js";
import { discoverSensors } from "./sensors/discover.js";
import type { AgentSensorReading, SensorSet } from "./sensors/sensor.js";
import { Spool } from "./spool.js";
import { type AgentState, StateStore } from "./state-store.js";
import { buildTelemetry } from "./telemetry/build.js";
import { TelemetrySender } from "./telemetry/sender.js";
import { subjects } from "./telemetry/subjects.js";
import { type SystemFacts, SystemSampler } from "./telemetry/system-sampler.js";
import { AGENT_VERSION } from "./version.js";

/** The sensors of a SensorSet the agent samples. */
type SensorRole = "power" | "battery";

const SEQ_BLOCK = 600; // sequence numbers reserved per state write
const RESUME_RETRY_MS = 10_000;
const CALIBRATION_MIN_SAMPLES = 60;

export interface AgentOptions {
  config: AgentConfig;
  logger: Logger;
  /** The clock samples, registrations and uptime are stamped with; default `Date.now`. */
  nowMs?: () => number;
  /** override sensor discovery (tests, simulated devices) */
  sensors?: SensorSet;
  /** override the runtime (tests, simulated devices) */
  runtime?: Runtime;
}

/**
 * The device agent: samples sensors and the system at the sample period, spools every sample to disk and
 * sends the spool to NATS while connected; registers on every (re)connect; answers fenced commands by
 * reconciling its runtime. Its own state (token, desired workloads, sequence) survives restarts.
 */
export class Agent {
  private readonly metrics = new AgentMetrics();
  private readonly system = new SystemSampler();
  private readonly store: StateStore;
  private state: AgentState;
  private readonly spool: Spool;
  private readonly link: NatsLink;
  private readonly sender: TelemetrySender;
  private readonly commands: CommandHandler;
  private facts?: SystemFacts;
  private http?: { port: number; close(): Promise<void> };
  private timer?: NodeJS.Timeout;
  private resumeTimer?: NodeJS.Timeout;
  private nextSeq: number;
  private sampling = false;
  private stopped = false;
  private lastPowerSource: "measured" | "model" = "model";
  /** the workloads' CPU use at the last sample (cores): the load an emulated board draws */
  private workloadCores = 0;
  private readonly startedAtMs: number;
  /** spool drops already added to the counter (the spool counts them since its directory was created) */
  private droppedCounted = 0;
  /** the sensors whose last read failed: a failure is logged when it starts and when it ends, counted always */
  private readonly failingSensors = new Set<SensorRole>();
  /** the power model, calibrated online from this device's own measured samples (prior: config.power) */
  private readonly calibrator: PowerCalibrator;

  private constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    private readonly sensors: SensorSet,
    private readonly runtime: Runtime,
    private readonly nowMs: () => number,
  ) {
    this.startedAtMs = nowMs();
    this.calibrator = new PowerCalibrator({ prior: config.power });
    this.store = new StateStore(config.dataDir);
    this.state = this.store.load();
    this.nextSeq = this.state.seqReserved;
    this.spool = new Spool(join(config.dataDir, "spool"), { maxBytes: config.spool.maxBytes });
    this.link = new NatsLink(config.nats, `qonnect-agent-${config.device}`, {
      onConnect: (server) => this.connected(server),
      onDisconnect: () => {
        this.sender.connectedSinceMs = Number.POSITIVE_INFINITY;
        this.metrics.connected.set(0);
        this.log.warn({ spoolDepth: this.spool.depth }, "NATS disconnected; spooling telemetry");
      },
      onError: (err) => this.log.error({ err }, "NATS error"),
    });
    this.sender = new TelemetrySender(
      {
        device: config.device,
        subject: subjects.telemetry(config.region, config.device),
        samplePeriodMs: config.samplePeriodMs,
        ackTimeoutMs: config.nats.ackTimeoutMs,
        retryMs: config.nats.ackRetryMs,
        nowMs,
      },
      this.spool,
      this.link,
      this.metrics,
      log,
    );
    this.metrics.jetstreamAcking.set(1);
    this.commands = new CommandHandler({
      device: config.device,
      runtime,
      state: () => this.state,
      persist: (s) => this.save(s),
      onOutcome: (o) => {
        this.metrics.commands.inc({ result: o.result });
        const fields = { token: o.token && formatToken(o.token), error: o.error };
        if (o.result === "accepted") this.log.info(fields, "command obeyed");
        else this.log.warn(fields, `command ${o.result}`);
      },
    });
  }

  /** Starts everything; the returned agent runs until `stop()`. Throws before starting anything on bad state. */
  static async start(options: AgentOptions): Promise<Agent> {
    const { config, logger } = options;
    mkdirSync(config.dataDir, { recursive: true });
    const runtime =
      options.runtime ??
      (await createRuntime(config, (e) =>
        logger.info({ ...e, event: e.kind }, `workload ${e.workload} ${e.kind}`),
      ));
    const sensors = options.sensors ?? (await discoverSensors(config.sensors, "/", config.power));
    const agent = new Agent(config, logger, sensors, serialised(runtime), options.nowMs ?? Date.now);
    await agent.begin();
    return agent;
  }

  get httpPort(): number {
    return this.http?.port ?? 0;
  }

  async status(): Promise<AgentStatus> {
    const workloads = await this.runtime.status();
    return {
      device: this.config.device,
      region: this.config.region,
      site: this.config.site,
      tier: this.config.tier,
      runtime: this.runtime.kind,
      version: AGENT_VERSION,
      pid: process.pid,
      uptimeS: Math.round((this.nowMs() - this.startedAtMs) / 1000),
      nats: { connected: this.link.connected, server: this.link.server, jetstreamAcking: this.sender.acking },
      sensors: {
        power: this.sensors.power?.label,
        battery: this.sensors.battery?.label,
        notes: this.sensors.notes,
      },
      powerSource: this.lastPowerSource,
      powerModel: {
        ...this.powerModel(),
        calibratedFromSamples:
          this.calibrator.samples >= CALIBRATION_MIN_SAMPLES ? this.calibrator.samples : 0,
      },
      token: this.state.token,
      lastSeq: this.nextSeq - 1,
      spool: { depth: this.spool.depth, dropped: this.spool.dropped, sizeBytes: this.spool.sizeBytes },
      workloads: workloads.map((w) => ({
        workload: `${w.app}/${w.service}/${w.replica}`,
        state: workloadStateName(w.state),
        restarts: w.restarts,
        cpuCores: w.cpuCores,
        memoryBytes: w.memoryBytes,
        message: w.message,
      })),
    };
  }

  /** Stops sampling, the workloads (SIGTERM, then SIGKILL), NATS and the HTTP server; persists positions. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.resumeTimer);
    await this.sender.drain();
    await this.runtime.close();
    await this.link.close();
    await this.http?.close();
    await this.sensors.close?.();
    this.spool.close();
    this.save({ ...this.state, seqReserved: this.nextSeq });
    this.log.info("agent stopped");
  }

  private async begin(): Promise<void> {
    const c = this.config;
    this.metrics.fencingTerm.set(this.state.token.term);
    this.metrics.fencingPlan.set(this.state.token.planVersion);
    this.countDropped();
    this.http = await startHttpServer({
      host: c.http.host,
      port: c.http.port,
      metrics: this.metrics,
      status: () => this.status(),
    });
    this.facts = await this.system.facts();
    if (this.state.desired.length > 0) {
      this.log.info(
        { token: formatToken(this.state.token), workloads: this.state.desired.length },
        "resuming the workloads of the last obeyed command",
      );
      await this.resume();
    }
    this.link.serve(subjects.command(c.region, c.device), (data) => this.commands.handle(data));
    this.link.start();
    this.log.info(
      {
        device: c.device,
        region: c.region,
        runtime: this.runtime.kind,
        sensors: this.sensors.notes,
        httpPort: this.http.port,
        nats: c.nats.servers,
        spoolDepth: this.spool.depth,
        nextSeq: this.nextSeq,
      },
      "agent started",
    );
    this.schedule();
  }

  /** Re-applies the persisted desired set; retries (e.g. K3s still starting after a reboot) until it works. */
  private async resume(): Promise<void> {
    const token = this.state.token;
    try {
      await this.runtime.apply(this.state.desired);
    } catch (err) {
      this.log.error({ err, retryInMs: RESUME_RETRY_MS }, "resuming workloads failed; will retry");
      this.resumeTimer = setTimeout(() => {
        // a newer command has reconciled in the meantime: nothing to resume
        if (!this.stopped && compareTokens(this.state.token, token) === 0) void this.resume();
      }, RESUME_RETRY_MS);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const period = this.config.samplePeriodMs;
    const delay = period - (this.nowMs() % period);
    this.timer = setTimeout(() => {
      this.schedule();
      void this.sample();
    }, delay);
  }

  private async sample(): Promise<void> {
    if (this.sampling || this.stopped) return; // a slow sample never overlaps the next
    this.sampling = true;
    try {
      // an emulated board draws what the workloads used over the last period, under the sun of now
      await this.sensors.board?.update(this.workloadCores);
      const tsMs = this.nowMs();
      const [system, power, battery, workloads] = await Promise.all([
        this.system.sample(),
        this.readSensor("power"),
        this.readSensor("battery"),
        this.runtime.status(),
      ]);
      if (this.stopped) return;
      this.workloadCores = workloads.reduce((sum, w) => sum + w.cpuCores, 0);
      const telemetry = buildTelemetry({
        device: this.config.device,
        region: this.config.region,
        tsMs,
        seq: this.takeSeq(),
        system,
        cpuCores: this.facts?.cpuCores ?? 1,
        power,
        battery,
        model: this.powerModel(),
        workloads,
        solarExcessW: this.sensors.board?.solarExcessW() ?? 0,
      });
      if (telemetry.powerSource === telemetryV1.PowerSource.POWER_SOURCE_MEASURED)
        this.calibrator.observe(system.cpuUtil, telemetry.powerW);
      this.lastPowerSource =
        telemetry.powerSource === telemetryV1.PowerSource.POWER_SOURCE_MEASURED ? "measured" : "model";
      const sample = telemetryV1.DeviceTelemetry.encode(telemetry).finish();
      // a full disk (not spooled) or a stream that does not acknowledge: the heartbeat still goes out live
      this.sender.fresh(sample, telemetry.seq, this.spool.append(sample));
      this.metrics.samples.inc();
      this.metrics.powerW.set(telemetry.powerW);
      this.countDropped();
      this.metrics.workloads.reset();
      for (const w of workloads)
        this.metrics.workloads.inc({
          state: telemetryV1.workloadStateToJSON(w.state).replace("WORKLOAD_STATE_", ""),
        });
    } catch (err) {
      this.log.error({ err }, "sampling failed");
    } finally {
      this.sampling = false;
      this.metrics.spoolDepth.set(this.spool.depth);
    }
    await this.sender.drain();
  }

  /** The calibrated model once it has seen enough measurements, else the configured profile. */
  private powerModel(): PowerModel {
    return this.calibrator.samples >= CALIBRATION_MIN_SAMPLES ? this.calibrator.model() : this.config.power;
  }

  private takeSeq(): number {
    const seq = this.nextSeq++;
    if (this.nextSeq > this.state.seqReserved) {
      try {
        this.save({ ...this.state, seqReserved: this.nextSeq + SEQ_BLOCK });
      } catch (err) {
        // a full disk must not stop the heartbeat: state.json stays as it was, retried next sample
        this.log.error({ err }, "cannot reserve telemetry sequence numbers");
      }
    }
    return seq;
  }

  private connected(server: string): void {
    this.sender.connected(this.nowMs());
    this.metrics.connected.set(1);
    this.log.info({ server, spoolDepth: this.spool.depth }, "NATS connected");
    const c = this.config;
    const facts = this.facts;
    const registration = telemetryV1.DeviceRegistration.fromPartial({
      device: c.device,
      region: c.region,
      site: c.site,
      tier: c.tier,
      arch: facts?.arch,
      cpuModel: facts?.cpuModel,
      cpuCores: facts?.cpuCores,
      memoryBytes: facts?.memoryBytes,
      gpus: facts?.gpus,
      sensors: [this.sensors.power?.id, this.sensors.battery?.id].filter((s): s is string => s !== undefined),
      runtime: this.runtime.kind,
      labels: c.labels,
      agentVersion: AGENT_VERSION,
      tsMs: this.nowMs(),
    });
    this.link.publish(
      subjects.register(c.region, c.device),
      telemetryV1.DeviceRegistration.encode(registration).finish(),
    );
    void this.sender.drain();
  }

  /** Adds the spool's new drops to the counter. */
  private countDropped(): void {
    const fresh = this.spool.dropped - this.droppedCounted;
    if (fresh > 0) this.metrics.spoolDropped.inc(fresh);
    this.droppedCounted = this.spool.dropped;
  }

  /**
   * Reads one sensor; a failed read falls back to the power model for this sample, and is counted, and logged
   * when the sensor starts failing and when it reads again, so a broken sensor shows without flooding the log.
   */
  private async readSensor(role: SensorRole): Promise<AgentSensorReading | undefined> {
    const sensor = this.sensors[role];
    if (!sensor) return undefined;
    try {
      const reading = await sensor.read();
      if (this.failingSensors.delete(role)) this.log.info({ sensor: sensor.id, role }, "sensor reads again");
      return reading;
    } catch (err) {
      this.metrics.sensorReadFailures.inc({ role });
      if (!this.failingSensors.has(role)) {
        this.failingSensors.add(role);
        this.log.warn(
          { sensor: sensor.id, role, err: (err as Error).message },
          "sensor read failed; using the power model until it reads again",
        );
      }
      return undefined;
    }
  }

  private save(state: AgentState): void {
    this.store.save(state);
    this.state = state;
    this.metrics.fencingTerm.set(state.token.term);
    this.metrics.fencingPlan.set(state.token.planVersion);
  }
}
