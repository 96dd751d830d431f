import { Counter, Gauge, Registry } from "./metrics-text.js";

/**
 * The agent's Prometheus metrics (no default collectors: their event-loop monitor costs CPU on small boards),
 * written by metrics-text.ts, which exposes them as prom-client did.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly samples = new Counter({
    name: "qonnect_agent_samples_total",
    help: "telemetry samples taken",
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: "qonnect_agent_published_total",
    help: "telemetry samples delivered to NATS",
    labelNames: ["late"],
    registers: [this.registry],
  });
  readonly liveSamples = new Counter({
    name: "qonnect_agent_live_samples_total",
    help: "samples sent live without waiting for the stream's acknowledgement (heartbeats while JetStream does not acknowledge)",
    registers: [this.registry],
  });
  readonly jetstreamAcking = new Gauge({
    name: "qonnect_agent_jetstream_acking",
    help: "1 while the region's telemetry stream acknowledges samples, 0 after an unacknowledged publish",
    registers: [this.registry],
  });
  readonly spoolDepth = new Gauge({
    name: "qonnect_agent_spool_depth",
    help: "samples waiting in the spool",
    registers: [this.registry],
  });
  readonly spoolDropped = new Counter({
    name: "qonnect_agent_spool_dropped_total",
    help: "samples dropped because the spool was full (since the spool directory was created)",
    registers: [this.registry],
  });
  readonly sensorReadFailures = new Counter({
    name: "qonnect_agent_sensor_read_failures_total",
    help: "sensor reads that failed (the sample used the power model instead)",
    labelNames: ["role"],
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: "qonnect_agent_nats_connected",
    help: "1 while connected to NATS",
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: "qonnect_agent_commands_total",
    help: "commands handled",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly fencingTerm = new Gauge({
    name: "qonnect_agent_fencing_term",
    help: "term of the held fencing token",
    registers: [this.registry],
  });
  readonly fencingPlan = new Gauge({
    name: "qonnect_agent_fencing_plan_version",
    help: "plan version of the held fencing token",
    registers: [this.registry],
  });
  readonly powerW = new Gauge({
    name: "qonnect_agent_power_watts",
    help: "device power of the last sample",
    registers: [this.registry],
  });
  readonly workloads = new Gauge({
    name: "qonnect_agent_workloads",
    help: "workloads by state",
    labelNames: ["state"],
    registers: [this.registry],
  });
  readonly rss = new Gauge({
    name: "process_resident_memory_bytes",
    help: "resident memory of the agent",
    registers: [this.registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
}
