// The in-memory picture of a stored log — hard state, the latest snapshot and the entries after it — with the
// read side of the Storage contract. MemoryStorage is this picture alone; WalStorage writes each change to
// its log files first and then updates the same picture.
import type { ConfState, Entry, HardState, Snapshot } from "./entry.js";
import { CompactedError, UnavailableError } from "./storage.js";

/** Thrown when a write would leave a gap or go behind the snapshot: the caller broke Ready's contract. */
export class StorageOrderError extends Error {
  override name = "StorageOrderError";
}

/** Keeps entries up to `maxBytes` of data; always at least one. */
export function limitSize(entries: Entry[], maxBytes: number | undefined): Entry[] {
  if (maxBytes === undefined || entries.length <= 1) return entries;
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    size += entries[i]!.data.length;
    if (size > maxBytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

export function copyConf(c: ConfState): ConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}

export abstract class StoredLog {
  protected hardState: HardState;
  protected snap: Snapshot;
  /** Entries after the snapshot: ents[k].index === snap.meta.index + 1 + k. */
  protected ents: Entry[];

  protected constructor(hardState: HardState, snap: Snapshot, ents: Entry[]) {
    this.hardState = hardState;
    this.snap = snap;
    this.ents = ents;
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    return { hardState: { ...this.hardState }, conf: copyConf(this.snap.meta.conf) };
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    const off = this.snap.meta.index + 1;
    return limitSize(this.ents.slice(lo - off, hi - off), maxBytes);
  }

  term(i: number): number {
    if (i === this.snap.meta.index) return this.snap.meta.term;
    if (i < this.snap.meta.index) throw new CompactedError(i);
    const e = this.ents[i - this.snap.meta.index - 1];
    if (!e) throw new UnavailableError(i);
    return e.term;
  }

  firstIndex(): number {
    return this.snap.meta.index + 1;
  }

  lastIndex(): number {
    return this.snap.meta.index + this.ents.length;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** The entries of an append that the snapshot does not already cover; throws on a gap. */
  protected toAppend(entries: Entry[]): Entry[] {
    const first = entries[0];
    if (!first) return [];
    if (first.index > this.lastIndex() + 1)
      throw new StorageOrderError(`append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    const snapIndex = this.snap.meta.index;
    return first.index > snapIndex ? entries : entries.filter((e) => e.index > snapIndex);
  }

  /** Replaces any suffix from kept[0].index with copies of `kept` (the output of {@link toAppend}). */
  protected keepAppended(kept: Entry[]): void {
    const start = kept[0];
    if (!start) return;
    this.ents.length = start.index - this.snap.meta.index - 1; // drop the conflicting suffix
    for (const e of kept) this.ents.push({ index: e.index, term: e.term, type: e.type, data: e.data });
  }

  /** A received snapshot, checked to be no older than ours and copied. */
  protected received(snapshot: Snapshot): Snapshot {
    if (snapshot.meta.index < this.snap.meta.index)
      throw new StorageOrderError(`snapshot at ${snapshot.meta.index} is older than ${this.snap.meta.index}`);
    return { meta: { ...snapshot.meta, conf: copyConf(snapshot.meta.conf) }, data: snapshot.data };
  }

  /** Replaces the picture with `snap` and no entries after it. */
  protected resetTo(snap: Snapshot): void {
    this.snap = snap;
    this.ents = [];
  }

  /** Makes `snap` (taken at an index this log holds) the snapshot and drops the entries it covers. */
  protected compactTo(snap: Snapshot): void {
    this.ents = this.ents.slice(snap.meta.index - this.snap.meta.index);
    this.snap = snap;
  }
}
