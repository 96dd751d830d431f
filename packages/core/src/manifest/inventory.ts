import { z } from "zod";
import { archSchema, cpuSchema, header, labelsSchema, memorySchema, nameSchema, TIERS } from "./common.js";

// The field names here are fixed (DESIGN.md §3): tools outside the repo write inventories in this shape.

export const zoneSchema = z.strictObject({
  name: z.string().min(1),
  intensityGPerKWh: z.number().nonnegative().describe("Average grid carbon intensity, g CO2e/kWh."),
  pricePerKWh: z.number().nonnegative().default(0).describe("Electricity price, EUR/kWh."),
});

export const siteSchema = z.strictObject({
  name: nameSchema,
  tier: z.enum(TIERS),
  region: z.string().min(1),
  zone: z.string().min(1).describe("Grid zone name from spec.zones."),
});

export const latencySchema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  ms: z.number().nonnegative().describe("One-way latency; symmetric unless both directions are given."),
});

export const powerSchema = z.strictObject({
  idleW: z.number().nonnegative(),
  maxW: z.number().nonnegative(),
  gamma: z.number().positive().default(1).describe("Exponent of P(u) = idleW + (maxW − idleW)·u^gamma."),
});

export const batterySchema = z.strictObject({
  capacityWh: z.number().positive(),
  soc: z.number().min(0).max(1).describe("State of charge now, 0..1."),
  minSoc: z.number().min(0).max(1).default(0).describe("Never discharged below this."),
});

export const deviceSchema = z.strictObject({
  name: nameSchema,
  site: z.string().min(1),
  arch: archSchema,
  cpu: cpuSchema.describe("Cores."),
  memory: memorySchema,
  gpu: z.number().int().nonnegative().default(0),
  power: powerSchema,
  pricePerHour: z.number().nonnegative().default(0).describe("EUR per hour for the whole device."),
  battery: batterySchema.optional(),
  solar: z.strictObject({ excessW: z.number().nonnegative() }).optional(),
  used: z
    .strictObject({ cpu: cpuSchema, memory: memorySchema, gpu: z.number().int().nonnegative().optional() })
    .optional()
    .describe("Already running, outside this plan."),
  labels: labelsSchema.optional(),
  alive: z.boolean().default(true),
  speed: z.number().positive().default(1).describe("Relative single-core speed (1 = a Raspberry Pi 5 core)."),
});

export const inventorySchema = z.strictObject({
  ...header("Inventory"),
  spec: z.strictObject({
    zones: z.array(zoneSchema).default([]),
    sites: z.array(siteSchema).min(1, { message: "an inventory needs at least one site" }),
    latencies: z.array(latencySchema).default([]),
    devices: z.array(deviceSchema).default([]),
  }),
});

export type InventoryManifest = z.output<typeof inventorySchema>;
export type DeviceManifest = z.output<typeof deviceSchema>;
