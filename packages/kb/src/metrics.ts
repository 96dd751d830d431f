// The Knowledge Base's Prometheus metrics (one registry per server, so tests can run several).
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class KbMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "kb_api_requests_total",
    help: "Control API calls by transport, operation and outcome code",
    labelNames: ["transport", "operation", "code"],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: "kb_watchers",
    help: "Open watch streams",
    registers: [this.registry],
  });
  readonly plans = new Counter({
    name: "kb_plans_total",
    help: "Planning rounds by outcome",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly planSeconds = new Histogram({
    name: "kb_plan_duration_seconds",
    help: "Wall time of one planning round",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly applyPlans = new Counter({
    name: "kb_apply_plan_total",
    help: "FogLead.ApplyPlan calls by region and outcome",
    labelNames: ["region", "outcome"],
    registers: [this.registry],
  });
  readonly telemetrySamples = new Counter({
    name: "kb_telemetry_samples_total",
    help: "Telemetry samples read from the regions' history streams by outcome (stored, duplicate, dropped)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly telemetryRetention = new Counter({
    name: "kb_telemetry_retention_total",
    help: "Telemetry history retention: samples rolled up into minutes (rolled_up), minutes dropped (minutes_dropped)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly telemetryRegions = new Gauge({
    name: "kb_telemetry_regions",
    help: "Regions whose telemetry history the Knowledge Base reads",
    registers: [this.registry],
  });
  readonly summaries = new Counter({
    name: "kb_region_summaries_total",
    help: "Region summary messages by outcome (applied, dropped)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
}
