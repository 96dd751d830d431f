// A batch of write groups run over the stored rows, pure: what each group did (or why it was left out), the
// final state of every key it touched, and the watch log entries, numbered from the head version. Both
// stores run it inside one transaction and write its result, so many writers share one commit.
import { nextResource } from "./rows.js";
import {
  type Change,
  EtagMismatchError,
  NotFoundError,
  type ResourceKey,
  type StoredResource,
  type WriteGroup,
  type WriteOp,
  type WriteOutcome,
} from "./store.js";

export const keyString = (k: ResourceKey): string => `${k.kind}\u0000${k.namespace}\u0000${k.name}`;

export interface BatchResult {
  outcomes: (WriteOutcome[] | Error)[];
  /** The final state of every key written: the resource to store, or null to delete it. */
  rows: Map<string, { key: ResourceKey; resource: StoredResource | null }>;
  /** Watch log entries, in version order. */
  changes: Change[];
  /** The head version after the batch. */
  head: number;
}

/** The keys a batch reads before writing (a store may fetch them in one query). */
export function keysRead(groups: readonly WriteGroup[]): ResourceKey[] {
  const keys = new Map<string, ResourceKey>();
  for (const g of groups)
    for (const op of g.ops) {
      if (op.op === "create") continue;
      const k = op.op === "put" ? op.input : op.key;
      keys.set(keyString(k), { kind: k.kind, namespace: k.namespace, name: k.name });
    }
  return [...keys.values()];
}

const SKIPPED: WriteOutcome = { resource: undefined, created: false, changed: false };

export function runBatch(
  groups: readonly WriteGroup[],
  head: number,
  lookup: (key: ResourceKey) => StoredResource | undefined,
): BatchResult {
  const rows = new Map<string, { key: ResourceKey; resource: StoredResource | null }>();
  const changes: Change[] = [];
  const outcomes: (WriteOutcome[] | Error)[] = [];
  let version = head;
  for (const g of groups) {
    // a group writes into its own overlay, merged only when every op of it succeeded
    const local = new Map<string, { key: ResourceKey; resource: StoredResource | null }>();
    const localChanges: Change[] = [];
    let v = version;
    const get = (k: ResourceKey, fromStore = true): StoredResource | undefined => {
      const id = keyString(k);
      const w = local.get(id) ?? rows.get(id);
      if (w) return w.resource ?? undefined;
      return fromStore ? lookup(k) : undefined;
    };
    const set = (k: ResourceKey, r: StoredResource | null, type: Change["type"], change: StoredResource) => {
      local.set(keyString(k), { key: { kind: k.kind, namespace: k.namespace, name: k.name }, resource: r });
      localChanges.push({ resourceVersion: change.resourceVersion, type, resource: change });
    };
    const apply = (op: WriteOp): WriteOutcome => {
      switch (op.op) {
        case "put":
        case "create": {
          const existing = get(op.input, op.op === "put");
          if (op.op === "put" && op.etag !== undefined && existing?.etag !== op.etag)
            throw new EtagMismatchError(op.input, op.etag, existing?.etag);
          const r = nextResource(existing, op.input, v + 1, g.nowMs);
          if (!r) return { resource: existing, created: false, changed: false };
          v++;
          set(op.input, r, existing ? "MODIFIED" : "ADDED", r);
          return { resource: r, created: !existing, changed: true };
        }
        case "status": {
          const existing = get(op.key);
          if (!existing) {
            if (op.merge) return SKIPPED;
            throw new NotFoundError(op.key);
          }
          const old =
            existing.status && typeof existing.status === "object"
              ? (existing.status as Record<string, unknown>)
              : {};
          const status = op.merge ? { ...old, ...op.merge } : op.status;
          const r = nextResource(existing, { ...existing, status }, v + 1, g.nowMs);
          if (!r) return { resource: existing, created: false, changed: false };
          v++;
          set(op.key, r, "MODIFIED", r);
          return { resource: r, created: false, changed: true };
        }
        case "delete": {
          const existing = get(op.key);
          if (!existing) {
            if (op.ifPresent) return SKIPPED;
            throw new NotFoundError(op.key);
          }
          if (op.etag !== undefined && existing.etag !== op.etag)
            throw new EtagMismatchError(op.key, op.etag, existing.etag);
          const r = { ...existing, resourceVersion: ++v, updateTimeMs: g.nowMs };
          set(op.key, null, "DELETED", r);
          return { resource: r, created: false, changed: true };
        }
      }
    };
    try {
      const out = g.ops.map(apply);
      if (g.followUp) for (const op of g.followUp(out)) apply(op);
      for (const [id, w] of local) rows.set(id, w);
      changes.push(...localChanges);
      version = v;
      outcomes.push(out);
    } catch (err) {
      outcomes.push(err instanceof Error ? err : new Error(String(err)));
    }
  }
  return { outcomes, rows, changes, head: version };
}
