// The in-memory reference Storage: what the simulation and the tests run on. Writes are durable at once.
import { type ConfState, EMPTY_HARD_STATE, type Entry, type HardState, type Snapshot } from "./entry.js";
import { CompactedError, type Storage, UnavailableError } from "./storage.js";

/** Thrown when a write would leave a gap or go behind the snapshot: the caller broke Ready's contract. */
export class StorageOrderError extends Error {
  override name = "StorageOrderError";
}

export function entryBytes(e: Entry): number {
  return e.data.length;
}

/** Keeps entries up to `maxBytes` of data; always at least one. */
export function limitSize(entries: Entry[], maxBytes: number | undefined): Entry[] {
  if (maxBytes === undefined || entries.length <= 1) return entries;
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    size += entryBytes(entries[i]!);
    if (size > maxBytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  /** Entries after the snapshot: ents[k].index === snap.meta.index + 1 + k. */
  private ents: Entry[] = [];

  /** `conf` is the membership before any conf entry (usually empty; see `bootstrap`). */
  constructor(conf: ConfState = { voters: [], learners: [] }) {
    this.snap = { meta: { index: 0, term: 0, conf: copyConf(conf) }, data: new Uint8Array() };
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

  append(entries: Entry[]): void {
    const first = entries[0];
    if (!first) return;
    if (first.index > this.lastIndex() + 1)
      throw new StorageOrderError(`append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    // entries already covered by the snapshot are dropped, the rest replaces any suffix from first.index
    const kept = entries.filter((e) => e.index > this.snap.meta.index);
    const start = kept[0];
    if (!start) return;
    const keep = start.index - this.snap.meta.index - 1;
    if (keep < this.ents.length) this.ents.length = keep; // drop the conflicting suffix
    for (const e of kept) this.ents.push(copyEntry(e));
  }

  setHardState(state: HardState): void {
    this.hardState = { ...state };
  }

  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index < this.snap.meta.index)
      throw new StorageOrderError(`snapshot at ${snapshot.meta.index} is older than ${this.snap.meta.index}`);
    this.snap = { meta: { ...snapshot.meta, conf: copyConf(snapshot.meta.conf) }, data: snapshot.data };
    this.ents = [];
  }

  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) return this.snap;
    if (index > this.lastIndex()) throw new UnavailableError(index);
    const term = this.term(index);
    this.ents = this.ents.slice(index - this.snap.meta.index);
    this.snap = { meta: { index, term, conf: copyConf(conf) }, data };
    return this.snap;
  }

  sync(): void {}
}

function copyConf(c: ConfState): ConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}

function copyEntry(e: Entry): Entry {
  return { index: e.index, term: e.term, type: e.type, data: e.data };
}
