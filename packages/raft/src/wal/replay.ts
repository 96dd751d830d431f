// Rebuilds the log's state from its records, in the order they were written.
import { EMPTY_HARD_STATE, type Entry, type HardState } from "../entry.js";
import { WalInconsistencyError } from "./errors.js";
import { RecordKind, type WalRecord } from "./record.js";

export interface ReplayState {
  snapIndex: number;
  snapTerm: number;
  /** Contiguous entries after the snapshot. */
  ents: Entry[];
  hardState: HardState;
  /** True once any Snapshot record has been seen (a bootstrapped log always has one). */
  sawSnapshot: boolean;
}

export function emptyReplayState(): ReplayState {
  return { snapIndex: 0, snapTerm: 0, ents: [], hardState: { ...EMPTY_HARD_STATE }, sawSnapshot: false };
}

/** Applies one record. Segments removed by compaction may leave the first entries seen starting late. */
export function replayRecord(s: ReplayState, r: WalRecord, dir: string): void {
  switch (r.kind) {
    case RecordKind.Entry: {
      const e = r.entry;
      const first = s.ents[0];
      if (!first) {
        s.ents.push(e);
        return;
      }
      const last = first.index + s.ents.length - 1;
      if (e.index === last + 1) s.ents.push(e);
      else if (e.index > last + 1)
        throw new WalInconsistencyError(dir, `entry ${e.index} follows entry ${last}: entries are missing`);
      else if (e.index >= first.index) {
        s.ents.length = e.index - first.index;
        s.ents.push(e);
      } else s.ents = [e];
      return;
    }
    case RecordKind.HardState:
      s.hardState = r.hardState;
      return;
    case RecordKind.Snapshot: {
      s.sawSnapshot = true;
      s.snapIndex = r.index;
      s.snapTerm = r.term;
      if (r.reset) s.ents = [];
      else dropThrough(s, r.index);
      return;
    }
    case RecordKind.Segment:
      return;
  }
}

function dropThrough(s: ReplayState, index: number): void {
  const first = s.ents[0];
  if (!first || first.index > index) return;
  s.ents = s.ents.slice(index - first.index + 1);
}

/** Checks what replay produced: entries start right after the snapshot, commit does not pass the last entry. */
export function finishReplay(s: ReplayState, dir: string): void {
  dropThrough(s, s.snapIndex);
  const first = s.ents[0];
  if (first && first.index !== s.snapIndex + 1)
    throw new WalInconsistencyError(
      dir,
      `the first entry held is ${first.index} but the snapshot ends at ${s.snapIndex}: entries are missing`,
    );
  const lastIndex = s.snapIndex + s.ents.length;
  if (s.hardState.commit > lastIndex)
    throw new WalInconsistencyError(
      dir,
      `the saved commit index ${s.hardState.commit} is beyond the last entry ${lastIndex}: committed entries were lost`,
    );
}
