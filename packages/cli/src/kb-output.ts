// Resources for people (tables per kind, `wide` adds labels and versions) and for machines (-o json|yaml:
// exactly one document on stdout).
import type { controlV1 } from "@qonnect/proto";
import { stringify } from "yaml";
import { CliError, EXIT, type Io } from "./io.js";
import { table } from "./table.js";

export const OUTPUTS = ["table", "wide", "json", "yaml"] as const;
export type Output = (typeof OUTPUTS)[number];

export function parseOutput(v: string | undefined): Output {
  const o = v ?? "table";
  if (!(OUTPUTS as readonly string[]).includes(o))
    throw new CliError(`-o must be one of ${OUTPUTS.join(", ")}, not "${o}"`, EXIT.usage);
  return o as Output;
}

/** The REST/JSON shape of a resource (same as GET /api/v1/...). */
export function plain(r: controlV1.Resource): Record<string, unknown> {
  const m = r.metadata;
  return {
    apiVersion: r.apiVersion,
    kind: r.kind,
    metadata: {
      name: m?.name,
      namespace: m?.namespace,
      labels: m?.labels ?? {},
      annotations: m?.annotations ?? {},
      uid: m?.uid,
      resourceVersion: m?.resourceVersion,
      generation: m?.generation,
      etag: m?.etag,
      createTimeMs: m?.createTimeMs,
      updateTimeMs: m?.updateTimeMs,
    },
    spec: r.spec ?? null,
    status: r.status ?? null,
  };
}

export function age(ms: number | undefined, nowMs = Date.now()): string {
  if (!ms) return "-";
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

type Row = (string | number)[];
// biome-ignore lint/suspicious/noExplicitAny: specs and statuses are free-form JSON per kind
type J = any;

const num = (v: unknown, digits = 1) => (typeof v === "number" ? Number(v.toFixed(digits)) : "-");

const COLUMNS: Record<string, { headers: string[]; row: (spec: J, status: J) => Row }> = {
  Application: {
    headers: ["SERVICES", "REPLICAS", "PHASE", "PLACED"],
    row: (s, st) => [
      s?.services?.length ?? 0,
      (s?.services ?? []).reduce((a: number, x: J) => a + (x.replicas ?? 0), 0),
      st?.phase ?? "Pending",
      st?.placed ?? "-",
    ],
  },
  Job: {
    headers: ["SERVICES", "PHASE", "START", "SAVED-G"],
    row: (s, st) => [
      s?.services?.length ?? 0,
      st?.phase ?? "Pending",
      st?.startMs ? new Date(st.startMs).toISOString() : "-",
      num(st?.carbonSavedG, 2),
    ],
  },
  Inventory: {
    headers: ["ZONES", "SITES", "DEVICES"],
    row: (s) => [s?.zones?.length ?? 0, s?.sites?.length ?? 0, s?.devices?.length ?? 0],
  },
  Signal: {
    headers: ["QUANTITY", "WHERE", "SOURCE", "NOW"],
    row: (s, st) => [
      s?.quantity ?? "-",
      s?.zone ?? s?.site ?? "-",
      s?.source ?? "-",
      num(st?.value ?? s?.value, 2),
    ],
  },
  Region: {
    headers: ["FOG-LEADS", "LEADER", "TERM", "PLAN", "DEVICES", "REACHABLE"],
    row: (s, st) => [
      (s?.fogLeads ?? []).length,
      st?.leaderId ?? "-",
      st?.term ?? "-",
      st?.planVersion ?? "-",
      st?.devices ?? "-",
      st?.reachable === undefined ? "-" : st.reachable ? "yes" : "no",
    ],
  },
  Device: {
    headers: ["REGION", "SITE", "VERDICT", "POWER-W", "SOC", "ENERGY-WH", "CARBON-G"],
    row: (s, st) => [
      s?.region ?? "-",
      s?.site ?? "-",
      st?.verdict ?? "-",
      num(st?.powerW),
      num(st?.soc, 2),
      num(st?.energyWh, 2),
      num(st?.carbonG, 2),
    ],
  },
  Placement: {
    headers: ["REPLICAS", "REGIONS", "FEASIBLE", "PLAN"],
    row: (s) => [
      s?.placements?.length ?? 0,
      [...new Set((s?.placements ?? []).map((p: J) => p.region))].join(",") || "-",
      s?.feasible === false ? "no" : "yes",
      s?.planId ?? "-",
    ],
  },
  Event: {
    headers: ["TYPE", "REASON", "OBJECT", "MESSAGE"],
    row: (s) => [s?.type ?? "", s?.reason ?? "", s?.object ?? "", s?.message ?? ""],
  },
};

export function renderResources(io: Io, items: controlV1.Resource[], output: Output, single: boolean): void {
  if (output === "json") {
    io.out(`${JSON.stringify(single ? plain(items[0]!) : { items: items.map(plain) }, null, 2)}\n`);
    return;
  }
  if (output === "yaml") {
    io.out(stringify(single ? plain(items[0]!) : { items: items.map(plain) }));
    return;
  }
  if (items.length === 0) {
    io.err("no resources found\n");
    return;
  }
  const kind = items[0]!.kind;
  const cols = COLUMNS[kind] ?? { headers: [], row: () => [] };
  const wide = output === "wide";
  const headers = ["NAME", ...cols.headers, "AGE", ...(wide ? ["GEN", "VERSION", "LABELS"] : [])];
  const rows = items.map((r) => [
    r.metadata?.namespace && r.metadata.namespace !== "default"
      ? `${r.metadata.namespace}/${r.metadata.name}`
      : (r.metadata?.name ?? ""),
    ...cols.row(r.spec, r.status),
    age(r.metadata?.createTimeMs),
    ...(wide
      ? [
          r.metadata?.generation ?? 0,
          r.metadata?.resourceVersion ?? 0,
          Object.entries(r.metadata?.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(",") || "-",
        ]
      : []),
  ]);
  io.out(table(headers, rows));
}
