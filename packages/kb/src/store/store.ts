// The Knowledge Base's storage contract. Two implementations (SQLite, PostgreSQL) pass one shared suite
// (store-suite.ts). Every write that changes a resource takes the next global resource version and appends
// one entry to the watch log in the same transaction, so a watcher resuming from a version misses nothing.

import type { BackupInfo } from "./backup.js";
import type { Selector } from "./selector.js";

/** One stored resource, kind-agnostic. `spec` and `status` are JSON values. */
export interface StoredResource {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: unknown;
  status: unknown;
  /** The global version of this resource's last change. */
  resourceVersion: number;
  /** +1 per change of spec, labels or annotations (not status). */
  generation: number;
  /** `<uid prefix>.<generation>`: changes with the generation, differs after delete and re-create. */
  etag: string;
  createTimeMs: number;
  updateTimeMs: number;
}

export interface ResourceKey {
  kind: string;
  namespace: string;
  name: string;
}

export interface PutInput extends ResourceKey {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: unknown;
  /** Replaces the status when given; kept otherwise. */
  status?: unknown;
}

export interface PutOptions {
  /** Compare-and-set: fails with EtagMismatchError unless the stored etag is this one. */
  etag?: string;
  nowMs: number;
}

export interface PutResult {
  resource: StoredResource;
  created: boolean;
  /** False when nothing differed (no new version, no watch entry). */
  changed: boolean;
}

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  resourceVersion: number;
  type: ChangeType;
  /** The resource after the change (for DELETED: as it was, with the deletion's version). */
  resource: StoredResource;
}

export interface ListOptions {
  namespace?: string;
  selector?: Selector;
  /** Default 100. */
  pageSize?: number;
  /** Opaque, from a previous page. */
  pageToken?: string;
}

export interface ListPage {
  items: StoredResource[];
  /** Empty on the last page. */
  nextPageToken: string;
  /** The store's head version when the page was read. */
  resourceVersion: number;
}

export type Role = "viewer" | "operator" | "admin";
export const ROLES: readonly Role[] = ["viewer", "operator", "admin"];

export interface TokenRecord {
  id: string;
  /** sha256 of the secret, hex. The secret itself is never stored. */
  hash: string;
  role: Role;
  description: string;
  createTimeMs: number;
  expireTimeMs: number;
  revoked: boolean;
}

/** One point of a device's time series (from region summaries). Cumulative counters. */
export interface Sample {
  device: string;
  tsMs: number;
  powerW: number;
  energyWh: number;
  solarEnergyWh: number;
  carbonG: number;
  cost: number;
  soc: number | null;
}

/** One write of a batch. Each op that changes something takes the next version and one watch entry. */
export type WriteOp =
  /** Create or update; EtagMismatchError when `etag` is given and stale. */
  | { op: "put"; input: PutInput; etag?: string }
  /** A new resource under a fresh unique name (events): no read before the write. */
  | { op: "create"; input: PutInput }
  /** Replaces the status (NotFoundError when absent) or merges top-level fields into it (nothing when absent). */
  | { op: "status"; key: ResourceKey; status?: unknown; merge?: Record<string, unknown> }
  /** NotFoundError when absent unless `ifPresent`; EtagMismatchError when `etag` is given and stale. */
  | { op: "delete"; key: ResourceKey; etag?: string; ifPresent?: boolean };

/** What one op did: the resource after it (before it, for a delete), or nothing when it found nothing. */
export interface WriteOutcome {
  resource: StoredResource | undefined;
  created: boolean;
  changed: boolean;
}

/** Ops that succeed or fail together (an apply: the resource and its event). */
export interface WriteGroup {
  ops: WriteOp[];
  /** The time the writes happen at (create and update times). */
  nowMs: number;
  /** More ops computed from the outcomes, in the same transaction (the event that says what changed). */
  followUp?: (outcomes: WriteOutcome[]) => Extract<WriteOp, { op: "create" }>[];
}

export interface Store {
  /** `sqlite` or `postgres`. */
  readonly flavour: string;
  /** Commits one group atomically. Groups submitted together are committed in one transaction (group
   * commit: one fsync for many writers); a group that fails its precondition is left out alone. */
  commit(group: WriteGroup): Promise<WriteOutcome[]>;
  /** Every group in one transaction; per group its outcomes or the error that left it out. */
  write(groups: readonly WriteGroup[]): Promise<(WriteOutcome[] | Error)[]>;
  put(input: PutInput, options: PutOptions): Promise<PutResult>;
  /** Replaces only the status (no generation change). NotFoundError when absent. */
  putStatus(key: ResourceKey, status: unknown, nowMs: number): Promise<StoredResource>;
  get(key: ResourceKey): Promise<StoredResource | undefined>;
  list(kind: string, options?: ListOptions): Promise<ListPage>;
  /** NotFoundError when absent; EtagMismatchError when `etag` is given and stale. */
  delete(key: ResourceKey, options: { etag?: string; nowMs: number }): Promise<StoredResource>;
  /** Watch log entries with a version > `afterVersion`, oldest first, at most `limit`.
   * CompactedError when entries after `afterVersion` were already compacted away. */
  changes(afterVersion: number, limit: number): Promise<Change[]>;
  headVersion(): Promise<number>;
  /** Drops watch log entries so that at most `keep` remain. */
  compact(keep: number): Promise<void>;
  /** Deletes Events beyond the newest `keep` (no watch entries: events expire silently). */
  pruneEvents(keep: number): Promise<number>;

  createToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  revokeToken(id: string): Promise<boolean>;

  addSamples(samples: readonly Sample[]): Promise<void>;
  series(device: string, fromMs: number, toMs: number, limit: number): Promise<Sample[]>;

  /** A consistent copy of everything (resources with their versions, the watch log, tokens, samples) in
   * `file`, taken while the store keeps serving. */
  backup(file: string): Promise<BackupInfo>;
  /** Loads a backup (of either store). RestoreTargetNotEmptyError unless the store is empty or `force`
   * (which replaces everything). Stop every kb serve using the store first. */
  restore(file: string, options?: { force?: boolean }): Promise<BackupInfo>;

  /** True while this process holds the planning lease (one planner among several servers). */
  tryLease(): Promise<boolean>;
  close(): Promise<void>;
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
  constructor(readonly key: ResourceKey) {
    super(`${key.kind} ${key.namespace}/${key.name} not found`);
  }
}

export class EtagMismatchError extends Error {
  override name = "EtagMismatchError";
  constructor(
    readonly key: ResourceKey,
    readonly expected: string,
    readonly actual: string | undefined,
  ) {
    super(
      `${key.kind} ${key.namespace}/${key.name} changed: etag is ${actual ?? "absent (no such resource)"}, not ${expected}; read it again and retry`,
    );
  }
}

export class CompactedError extends Error {
  override name = "CompactedError";
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(
      `resource version ${requested} is compacted (oldest kept: ${oldest}); list again and watch from its version`,
    );
  }
}

export class PageTokenError extends Error {
  override name = "PageTokenError";
  constructor(readonly token: string) {
    super(`invalid page token; start again without one`);
  }
}
