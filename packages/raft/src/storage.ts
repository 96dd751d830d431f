import type { ConfState, Entry, HardState, Snapshot } from "./entry.js";

/**
 * What a Raft node needs from its log, in the style of etcd's raft Storage. The core reads through it; the
 * driver writes to it (in the order `Ready` dictates) before sending the messages that depend on the writes.
 * Every implementation passes the shared suite in storage.suite.ts.
 *
 * Index rules: entries are contiguous; `firstIndex()` is the first entry still held (snapshot.index + 1 after
 * compaction); `lastIndex()` is the last entry held, or snapshot.index when none is.
 */
export interface Storage {
  /**
   * Hard state and membership as last saved. Returning the latest snapshot's `conf` is enough: on start the
   * core replays every committed entry above its applied index, conf entries included, and applying a
   * ConfChange is idempotent, so a membership that already includes later conf entries is harmless too.
   */
  initialState(): { hardState: HardState; conf: ConfState };
  /** Entries in [lo, hi), at most `maxBytes` of data (always at least one). Throws CompactedError below firstIndex. */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /** Term of entry `i`; the snapshot's term at snapshot.index; throws CompactedError / UnavailableError. */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;

  /** Appends entries, first truncating any held entries at or after entries[0].index (a conflicting suffix). */
  append(entries: Entry[]): void;
  setHardState(state: HardState): void;
  /** Replaces the log with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void;
  /**
   * Saves a snapshot the state machine took at `index` (≤ lastIndex) and drops entries up to it; `conf` is the
   * membership as of `index` (RawNode.confState() right after the advance() that applied it).
   */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot;
  /** Makes everything written so far durable (fsync). In-memory storage does nothing. */
  sync(): void;
}

/** Asked for entries that a snapshot has replaced. */
export class CompactedError extends Error {
  override name = "CompactedError";
  constructor(readonly index: number) {
    super(`entry ${index} has been compacted into a snapshot`);
  }
}

/** Asked for entries that do not exist yet. */
export class UnavailableError extends Error {
  override name = "UnavailableError";
  constructor(readonly index: number) {
    super(`entry ${index} is not in the log yet`);
  }
}
