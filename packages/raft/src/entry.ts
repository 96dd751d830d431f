// The data Raft persists. Shared by the pure core (node.ts and friends), the in-memory storage and the
// durable write-ahead log. Indexes and terms start at 1; 0 means "none".

/** What an entry carries. `noop` is the leader's first entry of its term; `conf` a membership change. */
export type EntryType = "normal" | "noop" | "conf";

export interface Entry {
  index: number;
  term: number;
  type: EntryType;
  /** Opaque to Raft. For `conf` entries, the encoded ConfChange. */
  data: Uint8Array;
}

/** Must be on stable storage before any message that depends on it leaves the node. */
export interface HardState {
  term: number;
  /** Node id voted for in `term`, 0 for none. */
  vote: number;
  commit: number;
}

/** Cluster membership. */
export interface ConfState {
  voters: number[];
  learners: number[];
}

export interface SnapshotMeta {
  /** Last index and term covered by the snapshot. */
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** The state machine's serialised state at `meta.index`. */
  data: Uint8Array;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: 0, commit: 0 });
