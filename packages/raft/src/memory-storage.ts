// The in-memory reference Storage: what the simulation and the tests run on. Writes are durable at once.
import { type ConfState, EMPTY_HARD_STATE, type Entry, type HardState, type Snapshot } from "./entry.js";
import { type Storage, UnavailableError } from "./storage.js";
import { copyConf, StoredLog } from "./stored-log.js";

export class MemoryStorage extends StoredLog implements Storage {
  /** `conf` is the membership before any conf entry (usually empty; see `bootstrap`). */
  constructor(conf: ConfState = { voters: [], learners: [] }) {
    super(
      EMPTY_HARD_STATE,
      { meta: { index: 0, term: 0, conf: copyConf(conf) }, data: new Uint8Array() },
      [],
    );
  }

  append(entries: Entry[]): void {
    this.keepAppended(this.toAppend(entries));
  }

  setHardState(state: HardState): void {
    this.hardState = { ...state };
  }

  applySnapshot(snapshot: Snapshot): void {
    this.resetTo(this.received(snapshot));
  }

  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) return this.snap;
    if (index > this.lastIndex()) throw new UnavailableError(index);
    this.compactTo({ meta: { index, term: this.term(index), conf: copyConf(conf) }, data });
    return this.snap;
  }

  sync(): void {}
}
