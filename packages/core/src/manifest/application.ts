import { z } from "zod";
import {
  archSchema,
  cpuSchema,
  durationSchema,
  header,
  labelsSchema,
  memorySchema,
  nameSchema,
  TIERS,
} from "./common.js";

/** Soft goals: weights ≥ 0, normalised to sum 1 by the planner; at least one must be positive. */
export const qosSchema = z
  .strictObject({
    energy: z.number().nonnegative().optional().describe("Weight of the added power (W)."),
    carbon: z.number().nonnegative().optional().describe("Weight of the added emissions (g CO2e/h)."),
    cost: z.number().nonnegative().optional().describe("Weight of the cost (EUR/h)."),
    performance: z.number().nonnegative().optional().describe("Weight of latency and device speed."),
    latency: z.number().nonnegative().optional().describe("Weight of latency alone (users and calls)."),
    battery: z.number().nonnegative().optional().describe("Weight of draining batteries."),
  })
  .describe("Soft goals. Weights are ≥ 0 and normalised to sum 1.");

export const limitsSchema = z.strictObject({
  maxCostPerHour: z.number().nonnegative().optional().describe("EUR per hour for the whole application."),
  maxPowerW: z.number().nonnegative().optional().describe("Added power of the whole application, W."),
  maxCarbonGPerH: z
    .number()
    .nonnegative()
    .optional()
    .describe("Added emissions of the whole application, g/h."),
});

export const resourcesSchema = z.strictObject({
  cpu: cpuSchema,
  memory: memorySchema,
  gpu: z.number().int().nonnegative().optional().describe("Whole GPUs."),
});

export const placementSchema = z.strictObject({
  tiers: z.array(z.enum(TIERS)).min(1).optional(),
  arch: z
    .array(archSchema)
    .min(1)
    .optional()
    .describe("Any of these kubernetes.io/arch values, e.g. arm64, amd64"),
  regions: z.array(z.string().min(1)).min(1).optional(),
  sites: z.array(z.string().min(1)).min(1).optional(),
  labels: labelsSchema.optional().describe("Device labels that must all match."),
  spread: z
    .enum(["device", "site", "region"])
    .optional()
    .describe("Replicas on distinct devices, sites or regions."),
  nearUsers: z
    .strictObject({ site: z.string().min(1), maxLatencyMs: z.number().nonnegative() })
    .optional()
    .describe("Users are at `site`; every replica must be within maxLatencyMs of it."),
  minBatterySoc: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe("A battery-powered device below this state of charge gets no new replica."),
});

export const callSchema = z.strictObject({
  service: z.string().min(1),
  maxLatencyMs: z.number().nonnegative().optional(),
});

export const serviceSchema = z.strictObject({
  name: nameSchema,
  image: z.string().min(1).optional().describe("Container image (k3s runtime)."),
  command: z.array(z.string()).min(1).optional().describe("Command line (process runtime only)."),
  env: labelsSchema.optional().describe("Extra environment variables."),
  ports: z.array(z.number().int().min(1).max(65535)).optional(),
  replicas: z.number().int().min(0).default(1),
  resources: resourcesSchema,
  placement: placementSchema.optional(),
  calls: z.array(callSchema).optional(),
});

/** DESIGN.md §3: how long replicas on a cut-off device stay before they move (the fog lead reads it). */
export const failoverSchema = z.strictObject({
  partitionGraceSeconds: z
    .number()
    .nonnegative()
    .optional()
    .describe(
      "Seconds replicas on an unreachable (cut-off) device stay before they move; 0 = at once. Default 300.",
    ),
});

const applicationSpec = {
  qos: qosSchema.optional(),
  limits: limitsSchema.optional(),
  failover: failoverSchema.optional(),
  services: z.array(serviceSchema).min(1, { message: "an application needs at least one service" }),
};

export const applicationSchema = z.strictObject({
  ...header("Application"),
  spec: z.strictObject(applicationSpec),
});

/** A deferrable batch job: the planner may shift its start towards clean or free power before `deadline`. */
export const jobSchema = z.strictObject({
  ...header("Job"),
  spec: z.strictObject({
    ...applicationSpec,
    durationMinutes: z.number().positive().describe("How long one run takes, minutes."),
    deadline: z
      .union([z.iso.datetime({ offset: true }), durationSchema], {
        error: "deadline must be an RFC 3339 time (2026-12-01T06:00:00Z) or a duration from submission (12h)",
      })
      .describe("When the job must have finished: an RFC 3339 time or a duration from submission."),
    earliestStart: z.iso.datetime({ offset: true }).optional(),
  }),
});

export type ApplicationManifest = z.output<typeof applicationSchema>;
export type JobManifest = z.output<typeof jobSchema>;
export type ServiceManifest = z.output<typeof serviceSchema>;
export type QosWeights = z.output<typeof qosSchema>;
