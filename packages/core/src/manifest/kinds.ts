import type { z } from "zod";
import { type ApplicationManifest, applicationSchema, type JobManifest, jobSchema } from "./application.js";
import { type InventoryManifest, inventorySchema } from "./inventory.js";
import { checkApplication, checkInventory, type ReferenceIssue } from "./references.js";

/** A validated document of one of the kinds qonnect reads. */
export type Manifest = ApplicationManifest | JobManifest | InventoryManifest;

interface KindEntry {
  schema: z.ZodType;
  check: (manifest: never) => ReferenceIssue[];
  summary: string;
}

/** Every kind qonnect reads, with its schema and its cross-field checks. */
export const KINDS: Record<Manifest["kind"], KindEntry> = {
  Application: {
    schema: applicationSchema,
    check: checkApplication,
    summary: "services to place, with QoS goals and hard limits",
  },
  Job: { schema: jobSchema, check: checkApplication, summary: "a deferrable batch job with a deadline" },
  Inventory: {
    schema: inventorySchema,
    check: checkInventory,
    summary: "devices, sites, zones and latencies",
  },
};

export const KIND_NAMES = Object.keys(KINDS) as Manifest["kind"][];

/**
 * A kind defined in another package (e.g. `Microgrid` in @qonnect/energy) and validated by the same machinery
 * as the built-in kinds: the same positioned diagnostics, "did you mean" hints and reference checks. Build the
 * schema with the `z` and `header(kind)` that core exports, so introspection for hints works.
 */
export interface KindDefinition {
  schema: z.ZodType;
  /** Cross-field checks on a document that passed the schema; paths are inside the document. */
  check?: (manifest: never) => ReferenceIssue[];
  summary: string;
  /** A short human description of a validated document (for `qonnect demo`). */
  describe?: (manifest: never) => string;
}

/** A validated document of a registered kind; its `spec` is typed by the package that defines the kind. */
export interface ExtensionManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
}

const registered = new Map<string, KindDefinition>();

/**
 * Teaches the validator a kind defined elsewhere. Registering the same definition again is a no-op; a
 * different definition under a taken name, or a built-in name, throws (two packages disagree).
 */
export function registerKind(kind: string, definition: KindDefinition): void {
  if (kind in KINDS) throw new Error(`kind "${kind}" is built into @qonnect/core`);
  const existing = registered.get(kind);
  if (existing && existing !== definition) throw new Error(`kind "${kind}" is already registered`);
  registered.set(kind, definition);
}

/** The definition of a registered (non built-in) kind. */
export function registeredKind(kind: string): KindDefinition | undefined {
  return registered.get(kind);
}

/** Built-in kinds followed by registered ones. */
export function kindNames(): string[] {
  return [...KIND_NAMES, ...registered.keys()];
}

/** The object keys the schema accepts at `path`, for "did you mean" hints; empty when not an object. */
export function knownKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let node: unknown = schema;
  const unwrap = (s: unknown): unknown => {
    let cur = s;
    for (let guard = 0; guard < 10; guard++) {
      const def = (cur as { _zod?: { def?: { type?: string; innerType?: unknown; in?: unknown } } })._zod
        ?.def;
      if (def?.innerType && (def.type === "optional" || def.type === "default" || def.type === "nullable"))
        cur = def.innerType;
      else if (def?.type === "pipe" && def.in) cur = def.in;
      else break;
    }
    return cur;
  };
  for (const segment of path) {
    const def = (unwrap(node) as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === "object" && typeof segment === "string")
      node = (def.shape as Record<string, unknown>)[segment];
    else if (def.type === "array" && typeof segment === "number") node = def.element;
    else if (def.type === "record") node = def.valueType;
    else return [];
    if (node === undefined) return [];
  }
  const def = (unwrap(node) as { _zod: { def: Record<string, unknown> } })._zod.def;
  return def.type === "object" ? Object.keys(def.shape as object) : [];
}
