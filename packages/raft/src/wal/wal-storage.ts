// The durable Storage: a segmented write-ahead log (entries, hard state, snapshot markers) plus snapshot files.
//
//   <dir>/wal/<seq>-<firstIndex>.wal   framed, checksummed records; a new segment past `segmentSizeBytes`
//   <dir>/snap/<index>-<term>.snap     snapshots, written atomically; the log's last Snapshot record names one
//   <dir>/LOCK                         flock(2)ed while a process uses the directory (its pid inside, for messages)
//
// Every write goes to the operating system at once; `sync()` fsyncs it (and the directory when segments were
// created). Ready's contract is the caller's: sync before sending messages that depend on the writes. A write
// that fails (ENOSPC, EIO) is cut back off the file and throws WalWriteError: the log never holds half a record
// it would later have to guess about, and nothing in memory changes for it.
import { randomInt } from "node:crypto";
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { ConfState, Entry, HardState, Snapshot } from "../entry.js";
import { type Storage, UnavailableError } from "../storage.js";
import { copyConf, StoredLog } from "../stored-log.js";
import { type DirLock, lockDir } from "./dir-lock.js";
import { SnapshotMissingError, WalInconsistencyError, WalWriteError } from "./errors.js";
import { fsyncDir, writeAll } from "./files.js";
import { encodeChain, RecordKind, type WalRecord } from "./record.js";
import { emptyReplayState, finishReplay, type ReplayState, replayRecord } from "./replay.js";
import { listSegments, readSegment, type SegmentName, segmentFileName } from "./segment.js";
import { listSnapshotFiles, readSnapshotFile, snapshotFileName, writeSnapshotFile } from "./snapshot-file.js";

export interface WalOptions {
  /** Membership of a brand-new log (its bootstrap snapshot at index 0). Ignored when `dir` already holds a log. */
  initialConf?: ConfState;
  /** A new segment is started once the current one holds this many bytes. Default 64 MiB. */
  segmentSizeBytes?: number;
  /** Older snapshot files kept besides the current one. Default 1. */
  keepOldSnapshots?: number;
}

/** What `open` found on disk. */
export interface WalRecovery {
  segments: number;
  entries: number;
  /** The last segment ended in a partially written record, which was cut off. */
  tornTail?: { file: string; offset: number; reason: string; droppedBytes: number };
  /** The directory held no log: this open created a fresh one (a member that must bootstrap or join). */
  created: boolean;
}

export class WalStorage extends StoredLog implements Storage {
  private readonly walDir: string;
  private readonly snapDir: string;
  private readonly segmentSizeBytes: number;
  private readonly keepOldSnapshots: number;
  private segments: SegmentName[];
  private fd: number;
  private tailBytes: number;
  /** File descriptors written since the last sync. */
  private readonly dirtyFds = new Set<number>();
  /** Segment files retired by a cut; closed after their last fsync. */
  private readonly retiredFds: number[] = [];
  private dirDirty = false;
  private closed = false;
  /** CRC of the tail segment's last record (the next record's seed), when the tail segment chains CRCs. */
  private chain: { crc: number } | undefined;

  private constructor(
    readonly dir: string,
    options: WalOptions,
    state: ReplayState,
    snap: Snapshot,
    segments: SegmentName[],
    readonly recovery: WalRecovery,
    private readonly lock: DirLock,
    chain: { crc: number } | undefined,
  ) {
    super(state.hardState, snap, state.ents);
    this.walDir = join(dir, "wal");
    this.snapDir = join(dir, "snap");
    this.segmentSizeBytes = options.segmentSizeBytes ?? 64 * 1024 * 1024;
    this.keepOldSnapshots = options.keepOldSnapshots ?? 1;
    this.segments = segments;
    const tail = segments[segments.length - 1]!;
    const path = join(this.walDir, tail.name);
    this.fd = openSync(path, "a");
    this.tailBytes = statSync(path).size;
    this.chain = chain;
  }

  /**
   * Opens (or creates) the log in `dir`: replays every segment, cuts off a torn tail, refuses a corrupted middle
   * (WalCorruptionError names the file and byte offset) and loads the snapshot the log refers to.
   */
  static open(dir: string, options: WalOptions = {}): WalStorage {
    const walDir = join(dir, "wal");
    const snapDir = join(dir, "snap");
    mkdirSync(walDir, { recursive: true });
    mkdirSync(snapDir, { recursive: true });
    const lock = lockDir(dir);
    try {
      let segments = listSegments(walDir);
      const recovery: WalRecovery = { segments: segments.length, entries: 0, created: false };
      const state = emptyReplayState();
      const chains = new Map<string, { crc: number } | undefined>();
      for (const [i, seg] of segments.entries()) {
        const isLast = i === segments.length - 1;
        const read = readSegment(walDir, seg, isLast);
        chains.set(seg.name, read.chained ? { crc: read.lastCrc } : undefined);
        for (const r of read.records) replayRecord(state, r, dir);
        if (read.torn) {
          const path = join(walDir, seg.name);
          const size = statSync(path).size;
          recovery.tornTail = {
            file: path,
            offset: read.torn.offset,
            reason: read.torn.reason,
            droppedBytes: size - read.validBytes,
          };
          if (read.validBytes === 0) rmSync(path);
          else truncateFile(path, read.validBytes);
          fsyncDir(walDir);
        }
      }
      segments = listSegments(walDir);
      if (segments.length === 0)
        return WalStorage.bootstrap(dir, options, { ...recovery, created: true }, lock);
      finishReplay(state, dir);
      if (!state.sawSnapshot) throw new WalInconsistencyError(dir, "no snapshot record in the log");
      const snapName = snapshotFileName(state.snapIndex, state.snapTerm);
      const files = listSnapshotFiles(snapDir);
      if (!files.some((f) => f.name === snapName))
        throw new SnapshotMissingError(snapDir, state.snapIndex, state.snapTerm);
      // a snapshot written just before a crash, whose Snapshot record never reached the log, is not used
      for (const f of files)
        if (f.index > state.snapIndex || (f.index === state.snapIndex && f.name !== snapName))
          rmSync(join(snapDir, f.name), { force: true });
      const snap = readSnapshotFile(join(snapDir, snapName));
      recovery.entries = state.ents.length;
      const tail = segments[segments.length - 1]!;
      return new WalStorage(dir, options, state, snap, segments, recovery, lock, chains.get(tail.name));
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private static bootstrap(
    dir: string,
    options: WalOptions,
    recovery: WalRecovery,
    lock: DirLock,
  ): WalStorage {
    const conf = options.initialConf ?? { voters: [], learners: [] };
    const snap: Snapshot = { meta: { index: 0, term: 0, conf: copyConf(conf) }, data: new Uint8Array() };
    writeSnapshotFile(join(dir, "snap"), snap);
    const walDir = join(dir, "wal");
    const seg: SegmentName = { seq: 1, firstIndex: 1, name: segmentFileName(1, 1) };
    const state = emptyReplayState();
    const fd = openSync(join(walDir, seg.name), "w");
    const header = segmentHeader(seg, state.snapIndex, state.snapTerm, state.hardState, true);
    try {
      writeAll(fd, header.buf);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    fsyncDir(walDir);
    return new WalStorage(dir, options, state, snap, [seg], recovery, lock, { crc: header.crc });
  }

  append(entries: Entry[]): void {
    const kept = this.toAppend(entries);
    if (kept.length === 0) return;
    this.write(kept.map((e) => ({ kind: RecordKind.Entry, entry: e })));
    this.keepAppended(kept);
  }

  setHardState(state: HardState): void {
    const h = this.hardState;
    if (h.term === state.term && h.vote === state.vote && h.commit === state.commit) return;
    this.write([{ kind: RecordKind.HardState, hardState: { ...state } }]);
    this.hardState = { term: state.term, vote: state.vote, commit: state.commit };
  }

  applySnapshot(snapshot: Snapshot): void {
    const snap = this.received(snapshot);
    writeSnapshotFile(this.snapDir, snap);
    this.write([{ kind: RecordKind.Snapshot, reset: true, index: snap.meta.index, term: snap.meta.term }]);
    this.resetTo(snap);
    this.sync();
    this.compact();
  }

  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) return this.snap;
    if (index > this.lastIndex()) throw new UnavailableError(index);
    const term = this.term(index);
    const snap: Snapshot = { meta: { index, term, conf: copyConf(conf) }, data };
    writeSnapshotFile(this.snapDir, snap);
    this.write([{ kind: RecordKind.Snapshot, reset: false, index, term }]);
    this.compactTo(snap);
    // old segments go only once the Snapshot record that makes them unnecessary is durable
    this.sync();
    this.compact();
    return this.snap;
  }

  sync(): void {
    for (const fd of this.dirtyFds) fdatasyncSync(fd);
    this.dirtyFds.clear();
    for (const fd of this.retiredFds.splice(0)) closeSync(fd);
    if (this.dirDirty) {
      fsyncDir(this.walDir);
      this.dirDirty = false;
    }
  }

  /** Syncs, closes the files and releases the directory. */
  close(): void {
    if (this.closed) return;
    this.sync();
    closeSync(this.fd);
    this.closed = true;
    this.lock.release();
  }

  /** Segment files currently making up the log (for tests and tools). */
  segmentFiles(): string[] {
    return this.segments.map((s) => join(this.walDir, s.name));
  }

  private write(records: WalRecord[]): void {
    if (this.closed) throw new Error("write to a closed WalStorage");
    if (this.tailBytes >= this.segmentSizeBytes) this.cut();
    const { buf, crc } = encodeChain(records, this.chain?.crc ?? 0);
    try {
      writeAll(this.fd, buf);
    } catch (err) {
      // cut the partial write back off so the file ends at a record boundary; if even that fails, the torn
      // tail is cut at the next open (the chained CRC keeps it from passing for a record)
      try {
        ftruncateSync(this.fd, this.tailBytes);
      } catch {
        // reported below
      }
      throw new WalWriteError(this.dir, err as NodeJS.ErrnoException);
    }
    this.tailBytes += buf.length;
    if (this.chain) this.chain.crc = crc;
    this.dirtyFds.add(this.fd);
  }

  /** Starts a new segment. The old one is fsynced first, so damage in any segment but the last is corruption. */
  private cut(): void {
    const old = this.segments[this.segments.length - 1]!;
    fdatasyncSync(this.fd);
    this.dirtyFds.delete(this.fd);
    this.retiredFds.push(this.fd);
    const seg: SegmentName = {
      seq: old.seq + 1,
      firstIndex: this.lastIndex() + 1,
      name: segmentFileName(old.seq + 1, this.lastIndex() + 1),
    };
    this.fd = openSync(join(this.walDir, seg.name), "a");
    this.segments.push(seg);
    this.dirDirty = true;
    const header = segmentHeader(seg, this.snap.meta.index, this.snap.meta.term, this.hardState, false);
    writeAll(this.fd, header.buf);
    this.tailBytes = header.buf.length;
    this.chain = { crc: header.crc };
    this.dirtyFds.add(this.fd);
  }

  /** Removes segments holding only entries the snapshot covers, and snapshot files beyond those kept. */
  private compact(): void {
    let removed = false;
    while (this.segments.length > 1 && this.segments[1]!.firstIndex - 1 <= this.snap.meta.index) {
      const seg = this.segments.shift()!;
      rmSync(join(this.walDir, seg.name), { force: true });
      removed = true;
    }
    if (removed) fsyncDir(this.walDir);
    const files = listSnapshotFiles(this.snapDir).filter((f) => f.index <= this.snap.meta.index);
    const current = snapshotFileName(this.snap.meta.index, this.snap.meta.term);
    const old = files.filter((f) => f.name !== current);
    for (const f of old.slice(0, Math.max(0, old.length - this.keepOldSnapshots)))
      rmSync(join(this.snapDir, f.name), { force: true });
  }
}

/**
 * Segment header: its own record (with a fresh random nonce that seeds the segment's CRC chain), then the
 * current snapshot marker and hard state, so it stands alone.
 */
function segmentHeader(
  seg: SegmentName,
  snapIndex: number,
  snapTerm: number,
  hs: HardState,
  reset: boolean,
): { buf: Buffer; crc: number } {
  return encodeChain(
    [
      { kind: RecordKind.Segment, seq: seg.seq, firstIndex: seg.firstIndex, nonce: randomInt(0, 2 ** 32) },
      { kind: RecordKind.Snapshot, reset, index: snapIndex, term: snapTerm },
      { kind: RecordKind.HardState, hardState: { ...hs } },
    ],
    0,
  );
}

function truncateFile(path: string, size: number): void {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, size);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
