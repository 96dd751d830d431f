// The Knowledge Base's resource kinds: their collections (REST paths, resource names), who writes them and
// which role may. Signal and Region are taught to core's validator so they get positioned diagnostics too.
import { header, registerKind, z } from "@qonnect/core";
import type { Role } from "./store/store.js";

export interface KindInfo {
  kind: string;
  collection: string;
  /** Applied by people (from manifests) or written by the Knowledge Base itself. */
  source: "user" | "system";
  /** The role needed to apply or delete. */
  writeRole: Role;
}

export const KIND_TABLE: readonly KindInfo[] = [
  { kind: "Application", collection: "applications", source: "user", writeRole: "operator" },
  { kind: "Job", collection: "jobs", source: "user", writeRole: "operator" },
  { kind: "Inventory", collection: "inventories", source: "user", writeRole: "operator" },
  { kind: "Signal", collection: "signals", source: "user", writeRole: "operator" },
  { kind: "Region", collection: "regions", source: "user", writeRole: "admin" },
  { kind: "Device", collection: "devices", source: "system", writeRole: "admin" },
  { kind: "Placement", collection: "placements", source: "system", writeRole: "admin" },
  { kind: "Event", collection: "events", source: "system", writeRole: "admin" },
];

const byCollection = new Map(KIND_TABLE.map((k) => [k.collection, k]));
const byKind = new Map(KIND_TABLE.map((k) => [k.kind, k]));

/** Accepts a collection (`applications`), a kind (`Application`), or kubectl-style forms (`application`,
 * `app`). */
export function kindInfo(word: string): KindInfo | undefined {
  const w = word.toLowerCase();
  const short: Record<string, string> = {
    app: "applications",
    apps: "applications",
    inv: "inventories",
    ev: "events",
  };
  return (
    byCollection.get(w) ??
    byCollection.get(short[w] ?? "") ??
    byKind.get(word) ??
    KIND_TABLE.find((k) => k.kind.toLowerCase() === w || `${k.kind.toLowerCase()}s` === w)
  );
}

export function kindOf(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

export const COLLECTIONS = KIND_TABLE.map((k) => k.collection);

const TRACE_FORMATS = ["csv", "vessim", "electricitymaps", "watttime"] as const;

export const signalSpecSchema = z
  .strictObject({
    zone: z.string().min(1).optional().describe("Grid zone (intensity, price)."),
    site: z.string().min(1).optional().describe("Site (solar excess)."),
    quantity: z.enum(["intensity", "price", "solar"]).describe("gCO2e/kWh, EUR/kWh or W of solar excess."),
    source: z.enum(["constant", "trace", "forecast"]),
    value: z.number().nonnegative().optional().describe("source: constant."),
    trace: z
      .strictObject({
        format: z.enum(TRACE_FORMATS).default("csv"),
        data: z.string().min(1).describe("The trace text itself (CSV or WattTime JSON)."),
        column: z.string().min(1).optional().describe("Value column (csv, vessim)."),
        anchor: z.boolean().default(false).describe("Shift the trace so its first sample is now."),
        wrap: z.boolean().default(false),
        scale: z.number().positive().optional(),
      })
      .optional()
      .describe("source: trace or forecast."),
  })
  .describe("A carbon intensity, price or solar signal of a zone or site.");

export const signalSchema = z.strictObject({ ...header("Signal"), spec: signalSpecSchema });

export const regionSpecSchema = z
  .strictObject({
    fogLeads: z
      .array(z.string().regex(/^[^\s:]+:\d+$/, { message: "a FogLead address is host:port" }))
      .min(1)
      .describe("FogLead gRPC addresses of the region's fog leads (any member; the leader is followed)."),
  })
  .describe("A fog region the Knowledge Base sends plans to.");

export const regionSchema = z.strictObject({ ...header("Region"), spec: regionSpecSchema });

export type SignalSpec = z.infer<typeof signalSpecSchema>;
export type RegionSpec = z.infer<typeof regionSpecSchema>;

function checkSignal(m: { spec: SignalSpec }): { path: (string | number)[]; message: string }[] {
  const s = m.spec;
  const out: { path: (string | number)[]; message: string }[] = [];
  if (s.quantity === "solar" && !s.site)
    out.push({ path: ["spec"], message: "a solar signal needs spec.site" });
  if (s.quantity !== "solar" && !s.zone)
    out.push({ path: ["spec"], message: `a ${s.quantity} signal needs spec.zone` });
  if (s.source === "constant" && s.value === undefined)
    out.push({ path: ["spec"], message: "a constant signal needs spec.value" });
  if (s.source !== "constant" && !s.trace)
    out.push({ path: ["spec"], message: `a ${s.source} signal needs spec.trace` });
  return out;
}

const SIGNAL_KIND = {
  schema: signalSchema,
  summary: "a carbon intensity, price or solar signal",
  check: checkSignal as (m: never) => { path: (string | number)[]; message: string }[],
};
const REGION_KIND = { schema: regionSchema, summary: "a fog region and its fog leads' addresses" };

/** Teaches core's validator the kinds the Knowledge Base adds. Idempotent. */
export function registerKbKinds(): void {
  registerKind("Signal", SIGNAL_KIND);
  registerKind("Region", REGION_KIND);
}
