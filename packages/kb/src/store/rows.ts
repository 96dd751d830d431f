// What both stores share: how a resource becomes a row and back, etags, page tokens, change detection.
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { PutInput, Sample, StoredResource } from "./store.js";
import { PageTokenError } from "./store.js";

export interface ResourceRow {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  labels: string;
  annotations: string;
  spec: string;
  status: string;
  rv: number;
  generation: number;
  create_ms: number;
  update_ms: number;
}

export function etagOf(uid: string, generation: number): string {
  return `${uid.slice(0, 8)}.${generation}`;
}

export function fromRow(r: ResourceRow): StoredResource {
  const generation = Number(r.generation);
  return {
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid,
    labels: JSON.parse(r.labels),
    annotations: JSON.parse(r.annotations),
    spec: JSON.parse(r.spec),
    status: JSON.parse(r.status),
    resourceVersion: Number(r.rv),
    generation,
    etag: etagOf(r.uid, generation),
    createTimeMs: Number(r.create_ms),
    updateTimeMs: Number(r.update_ms),
  };
}

export function toRow(r: StoredResource): ResourceRow {
  return {
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid,
    labels: JSON.stringify(r.labels),
    annotations: JSON.stringify(r.annotations),
    spec: JSON.stringify(r.spec ?? null),
    status: JSON.stringify(r.status ?? null),
    rv: r.resourceVersion,
    generation: r.generation,
    create_ms: r.createTimeMs,
    update_ms: r.updateTimeMs,
  };
}

/** The resource after `input` is written over `existing` at version `rv`, or undefined when nothing changes. */
export function nextResource(
  existing: StoredResource | undefined,
  input: PutInput,
  rv: number,
  nowMs: number,
): StoredResource | undefined {
  const labels = input.labels ?? {};
  const annotations = input.annotations ?? {};
  const spec = input.spec ?? null;
  if (!existing) {
    const uid = randomUUID();
    return {
      kind: input.kind,
      namespace: input.namespace,
      name: input.name,
      uid,
      labels,
      annotations,
      spec,
      status: input.status ?? null,
      resourceVersion: rv,
      generation: 1,
      etag: etagOf(uid, 1),
      createTimeMs: nowMs,
      updateTimeMs: nowMs,
    };
  }
  const userChanged =
    !isDeepStrictEqual(existing.spec, JSON.parse(JSON.stringify(spec))) ||
    !isDeepStrictEqual(existing.labels, labels) ||
    !isDeepStrictEqual(existing.annotations, annotations);
  const status = input.status === undefined ? existing.status : input.status;
  const statusChanged = !isDeepStrictEqual(existing.status, JSON.parse(JSON.stringify(status ?? null)));
  if (!userChanged && !statusChanged) return undefined;
  const generation = existing.generation + (userChanged ? 1 : 0);
  return {
    ...existing,
    labels,
    annotations,
    spec,
    status: status ?? null,
    resourceVersion: rv,
    generation,
    etag: etagOf(existing.uid, generation),
    updateTimeMs: nowMs,
  };
}

export function encodePageToken(namespace: string, name: string): string {
  return Buffer.from(JSON.stringify([namespace, name])).toString("base64url");
}

export function decodePageToken(token: string | undefined): [string, string] | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string")
      return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new PageTokenError(token);
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageSizeOf(requested: number | undefined): number {
  if (!requested || requested <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.floor(requested));
}

/** The samples table's columns, in the order of {@link sampleValues}. */
export const SAMPLE_COLUMNS =
  "device, ts_ms, power_w, energy_wh, solar_energy_wh, carbon_g, cost, soc, solar_excess_w" as const;

/** A sample as the row values of {@link SAMPLE_COLUMNS}. */
export function sampleValues(s: Sample): (string | number | null)[] {
  return [
    s.device,
    s.tsMs,
    s.powerW,
    s.energyWh,
    s.solarEnergyWh,
    s.carbonG,
    s.cost,
    s.soc,
    s.solarExcessW ?? null,
  ];
}

export function sampleFromRow(r: Record<string, number | string | null>): Sample {
  return {
    device: String(r.device),
    tsMs: Number(r.ts_ms),
    powerW: Number(r.power_w),
    energyWh: Number(r.energy_wh),
    solarEnergyWh: Number(r.solar_energy_wh),
    carbonG: Number(r.carbon_g),
    cost: Number(r.cost),
    soc: r.soc === null ? null : Number(r.soc),
    solarExcessW:
      r.solar_excess_w === null || r.solar_excess_w === undefined ? null : Number(r.solar_excess_w),
  };
}
