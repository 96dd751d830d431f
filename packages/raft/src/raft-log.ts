// The node's view of its log: what Storage holds plus what is still unstable, and the commit/apply cursors.
import type { Entry, Snapshot } from "./entry.js";
import { CompactedError, type Storage, UnavailableError } from "./storage.js";
import { limitSize } from "./stored-log.js";
import { Unstable } from "./unstable.js";

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  /** Highest index handed to the application (in a Ready's committedEntries). */
  applying: number;
  /** Highest index the application has applied (acknowledged by advance). */
  applied: number;

  constructor(
    readonly storage: Storage,
    applied = 0,
  ) {
    const first = storage.firstIndex();
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = Math.max(applied, first - 1);
    this.applying = this.applied;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of entry i; 0 when i is out of range (compacted or beyond the end). */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return 0;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return 0;
      throw err;
    }
  }

  /** Term of entry i, throwing CompactedError when it is gone. */
  termOrThrow(i: number): number {
    if (i < this.firstIndex() - 1) throw new CompactedError(i);
    return this.term(i);
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return false;
    return this.term(i) === t;
  }

  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** AppendEntries on a follower: the new last index, or undefined when (index, logTerm) does not match. */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed)
        throw new Error(`entry ${ci} conflicts with committed entry (commit ${this.committed})`);
      this.append(ents.slice(ci - index - 1));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): number {
    const first = ents[0];
    if (!first) return this.lastIndex();
    if (first.index - 1 < this.committed)
      throw new Error(`append at ${first.index} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** First index whose term differs from ents (0 if none, or the first new index past our end). */
  findConflict(ents: Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /** Largest index ≤ index whose term ≤ term: where a rejected leader should probe next. */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (; i >= this.firstIndex() - 1; i--) {
      const t = this.term(i);
      if (t <= term) return { index: i, term: t };
    }
    return { index: Math.max(i, 0), term: 0 };
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /** Entries in [lo, hi) with at most maxBytes of data (at least one). Throws CompactedError below firstIndex. */
  slice(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1)
      throw new Error(`slice[${lo},${hi}) beyond last index ${this.lastIndex()}`);
    let out: Entry[] = [];
    const off = this.unstable.offset;
    if (lo < off) {
      out = this.storage.entries(lo, Math.min(hi, off), maxBytes);
      if (out.length < Math.min(hi, off) - lo) return out; // size limit reached
    }
    if (hi > off) out = out.concat(this.unstable.slice(Math.max(lo, off), hi));
    return limitSize(out, maxBytes);
  }

  entriesFrom(i: number, maxBytes?: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  hasNextCommittedEntries(): boolean {
    if (this.unstable.snapshot) return false;
    return this.committed > this.applying;
  }

  nextCommittedEntries(maxBytes?: number): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    const lo = Math.max(this.applying + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, maxBytes);
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    if (i > this.lastIndex()) throw new Error(`commit ${i} is beyond the last index ${this.lastIndex()}`);
    this.committed = i;
  }

  maybeCommit(i: number, term: number): boolean {
    if (i > this.committed && this.term(i) === term) {
      this.commitTo(i);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied)
      throw new Error(`applied ${i} outside [${this.applied}, ${this.committed}]`);
    this.applied = i;
    this.applying = Math.max(this.applying, i);
  }

  restore(s: Snapshot): void {
    this.committed = s.meta.index;
    this.applying = s.meta.index;
    this.applied = s.meta.index;
    this.unstable.restore(s);
  }

  /** Last index known to be on stable storage. */
  persistedIndex(): number {
    if (this.unstable.snapshot) return this.storage.lastIndex();
    return this.unstable.offset - 1;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
