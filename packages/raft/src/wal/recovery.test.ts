// Crash recovery with real files: torn tails, flipped bytes, crashes between write and sync.

import { execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  cpSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { tempDir } from "@qonnect/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Entry } from "../entry.js";
import {
  SnapshotCorruptionError,
  WalCorruptionError,
  WalInconsistencyError,
  WalLockedError,
  WalWriteError,
} from "./errors.js";
import { WalStorage } from "./wal-storage.js";

const dirs: { remove(): void }[] = [];
function dir(): string {
  const d = tempDir("qonnect-wal-");
  dirs.push(d);
  return d.path;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function ents(from: number, to: number, term: number, size = 16): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++)
    out.push({ index: i, term, type: "normal", data: new Uint8Array(size).fill(i % 251) });
  return out;
}

/** A synced log of entries 1..n in one segment; returns its directory and the segment file. */
function syncedLog(n: number): { path: string; segment: string } {
  const w = WalStorage.open(dir());
  for (let i = 1; i <= n; i++) {
    w.append(ents(i, i, 1));
    w.setHardState({ term: 1, vote: 1, commit: i - 1 });
  }
  w.sync();
  const segment = w.segmentFiles()[0]!;
  w.close();
  return { path: w.dir, segment };
}

function flipByte(file: string, offset: number): void {
  const buf = readFileSync(file);
  buf[offset] = buf[offset]! ^ 0x40;
  writeFileSync(file, buf);
}

describe("WAL recovery", () => {
  it("cuts off a torn tail at every offset inside the last record", () => {
    const { path, segment } = syncedLog(5);
    const full = readFileSync(segment);
    const w = WalStorage.open(path);
    w.append(ents(6, 6, 1));
    w.sync();
    w.close();
    const withSixth = statSync(segment).size;
    for (let cut = full.length + 1; cut < withSixth; cut++) {
      const copy = dir();
      cpSync(path, copy, { recursive: true });
      truncateSync(join(copy, "wal", segment.split("/").pop()!), cut);
      const r = WalStorage.open(copy);
      expect(r.lastIndex()).toBe(5);
      expect(r.recovery.tornTail).toMatchObject({ offset: full.length, droppedBytes: cut - full.length });
      // the log is usable again: appending after the cut and reopening works
      r.append(ents(6, 6, 2));
      r.sync();
      r.close();
      const again = WalStorage.open(copy);
      expect(again.term(6)).toBe(2);
      expect(again.recovery.tornTail).toBeUndefined();
      again.close();
    }
  });

  it("treats zero-filled space after the last record as a torn tail", () => {
    const { path, segment } = syncedLog(3);
    const fd = openSync(segment, "a");
    writeSync(fd, Buffer.alloc(4096));
    closeSync(fd);
    const r = WalStorage.open(path);
    expect(r.lastIndex()).toBe(3);
    expect(r.recovery.tornTail?.droppedBytes).toBe(4096);
    r.close();
  });

  it("refuses a flipped byte in the middle, naming the file and offset", () => {
    const { path, segment } = syncedLog(20);
    const size = statSync(segment).size;
    const offset = Math.floor(size / 2);
    flipByte(segment, offset);
    let err: unknown;
    try {
      WalStorage.open(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WalCorruptionError);
    const c = err as WalCorruptionError;
    expect(c.file).toBe(segment);
    expect(c.offset).toBeLessThanOrEqual(offset);
    expect(c.offset).toBeGreaterThan(offset - 60);
    expect(c.message).toContain(segment);
    expect(c.message).toContain(`offset ${c.offset}`);
    // the refusal leaves the directory unlocked and untouched
    expect(statSync(segment).size).toBe(size);
  });

  it("refuses a flipped length field in the middle instead of treating it as a torn tail", () => {
    const { path, segment } = syncedLog(10);
    const w = WalStorage.open(path);
    const before = statSync(segment).size;
    w.append(ents(11, 11, 1));
    w.sync();
    w.close();
    for (let i = 12; i <= 15; i++) {
      const x = WalStorage.open(path);
      x.append(ents(i, i, 1));
      x.sync();
      x.close();
    }
    // the high byte of entry 11's length: the record now claims to run far past the end of the file
    flipByte(segment, before + 3);
    expect(() => WalStorage.open(path)).toThrow(WalCorruptionError);
  });

  it("refuses damage in a segment that is not the last one, even at its end", () => {
    const w = WalStorage.open(dir(), { segmentSizeBytes: 256 });
    for (let i = 1; i <= 40; i++) w.append(ents(i, i, 1));
    w.sync();
    const [first] = w.segmentFiles();
    expect(w.segmentFiles().length).toBeGreaterThan(2);
    w.close();
    truncateSync(first!, statSync(first!).size - 3);
    expect(() => WalStorage.open(w.dir)).toThrow(WalCorruptionError);
  });

  it("keeps everything synced and a prefix of the rest when the machine dies between write and sync", () => {
    const w = WalStorage.open(dir(), { segmentSizeBytes: 700 });
    w.append(ents(1, 8, 1));
    w.setHardState({ term: 1, vote: 1, commit: 8 });
    w.sync();
    // what a power cut cannot take away: the files as they were at the last sync
    const synced = dir();
    cpSync(w.dir, synced, { recursive: true });
    const syncedSizes = new Map(w.segmentFiles().map((f) => [f.split("/").pop()!, statSync(f).size]));
    w.append(ents(9, 30, 2));
    w.setHardState({ term: 2, vote: 1, commit: 25 });
    const files = w.segmentFiles();
    // no sync: the unsynced bytes may or may not have reached the disk; try every amount of them, per segment
    const last = files[files.length - 1]!;
    const lastName = last.split("/").pop()!;
    const unsynced = readFileSync(last);
    const start = syncedSizes.get(lastName) ?? 0;
    for (let keep = start; keep <= unsynced.length; keep += 7) {
      const crash = dir();
      cpSync(w.dir, crash, { recursive: true });
      truncateSync(join(crash, "wal", lastName), keep);
      const r = WalStorage.open(crash);
      expect(r.lastIndex()).toBeGreaterThanOrEqual(8);
      expect(r.entries(1, 9)).toEqual(ents(1, 8, 1));
      const held = r.entries(9, r.lastIndex() + 1);
      expect(held).toEqual(ents(9, 8 + held.length, 2));
      expect(r.initialState().hardState.commit).toBeLessThanOrEqual(r.lastIndex());
      r.close();
    }
    // and the state at the last sync alone recovers to exactly what was synced
    const r = WalStorage.open(synced);
    expect([r.lastIndex(), r.initialState().hardState.commit]).toEqual([8, 8]);
    r.close();
    w.close();
  });

  it("refuses a log whose saved commit index is beyond its last entry", () => {
    const w = WalStorage.open(dir());
    w.append(ents(1, 3, 1));
    w.setHardState({ term: 1, vote: 1, commit: 9 });
    w.sync();
    w.close();
    expect(() => WalStorage.open(w.dir)).toThrow(WalInconsistencyError);
  });

  it("refuses a corrupted snapshot and ignores one whose log record never made it", () => {
    const w = WalStorage.open(dir());
    w.append(ents(1, 10, 1));
    w.createSnapshot(5, { voters: [1], learners: [] }, new Uint8Array(100).fill(3));
    w.sync();
    w.close();
    const snapFile = join(w.dir, "snap", "0000000000000005-0000000000000001.snap");
    // a newer snapshot file without its log record (crash between rename and the log write) is not used
    writeFileSync(join(w.dir, "snap", "0000000000000009-0000000000000001.snap"), "partial");
    writeFileSync(join(w.dir, "snap", "000000000000000a-0000000000000001.snap.tmp"), "partial");
    const r = WalStorage.open(w.dir);
    expect(r.snapshot().meta.index).toBe(5);
    r.close();
    flipByte(snapFile, 60);
    expect(() => WalStorage.open(w.dir)).toThrow(SnapshotCorruptionError);
  });

  it("flock: refuses a directory another process or another WalStorage holds; a stale LOCK file does not", async () => {
    const w = WalStorage.open(dir());
    expect(() => WalStorage.open(w.dir)).toThrow(WalLockedError);
    w.close();
    // a LOCK naming a live pid (1) but not flocked by anyone is no obstacle (the PID file could not tell)
    writeFileSync(join(w.dir, "LOCK"), "1");
    WalStorage.open(w.dir).close();
    // a real other process holding flock(2) on LOCK (util-linux flock)
    const holder = spawn("flock", ["-x", join(w.dir, "LOCK"), "-c", "echo held; sleep 60"], {
      stdio: ["ignore", "pipe", "ignore"],
      detached: true,
    });
    try {
      await new Promise((r) => holder.stdout.once("data", r));
      expect(() => WalStorage.open(w.dir)).toThrow(WalLockedError);
    } finally {
      // SIGKILL to the holder's whole process group (flock and the shell that inherited the locked fd)
      process.kill(-(holder.pid ?? 0), "SIGKILL");
    }
    // the kernel releases a dead holder's lock: no stale-lock clean-up is needed
    await vi.waitFor(() => WalStorage.open(w.dir).close(), { timeout: 10_000 });
  });

  it("says when it created a fresh log, so a member can refuse to start on an empty directory", () => {
    const w = WalStorage.open(dir());
    expect(w.recovery.created).toBe(true);
    w.append(ents(1, 1, 1));
    w.close();
    const again = WalStorage.open(w.dir);
    expect(again.recovery.created).toBe(false);
    again.close();
  });

  it("chained CRCs: a value holding a well-formed frame does not turn a torn tail into corruption", () => {
    const { path, segment } = syncedLog(3);
    const before = statSync(segment).size;
    // the value carries a complete, self-consistent (unchained) frame of an entry record
    const fake = Buffer.alloc(26 + 8);
    fake.writeUInt32LE(26, 0);
    const payload = Buffer.alloc(26);
    payload[0] = 1;
    payload.writeUInt32LE(99, 1);
    payload.writeUInt32LE(1, 9);
    payload.copy(fake, 8);
    fake.writeUInt32LE(crc32(payload), 4);
    const value = Buffer.concat([Buffer.alloc(40, 7), fake, Buffer.alloc(40, 7)]);
    const w = WalStorage.open(path);
    w.append([{ index: 4, term: 1, type: "normal", data: new Uint8Array(value) }]);
    w.sync();
    w.close();
    // power cut in the middle of that record, after the fake frame was written
    truncateSync(segment, before + 8 + 18 + 40 + fake.length + 10);
    const r = WalStorage.open(path);
    expect(r.lastIndex()).toBe(3);
    expect(r.recovery.tornTail?.offset).toBe(before);
    r.close();
  });

  it("a flipped byte in the middle is still corruption (the next record chains from the damaged one's CRC)", () => {
    const { segment, path } = syncedLog(6);
    const size = statSync(segment).size;
    flipByte(segment, Math.floor(size / 2));
    expect(() => WalStorage.open(path)).toThrow(WalCorruptionError);
  });
});

describe("WAL on a full disk (a real 256 KiB tmpfs)", () => {
  const mnt = join(tmpdir(), `qonnect-enospc-${process.pid}`);
  let mounted = false;
  beforeAll(() => {
    mkdirSync(mnt, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt]);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) execFileSync("umount", [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it("ENOSPC: the failed write throws WalWriteError, leaves no partial record, and every synced entry survives", () => {
    const w = WalStorage.open(join(mnt, "member"));
    let written = 0;
    let failure: unknown;
    for (let i = 1; i < 10_000; i++) {
      try {
        w.append(ents(i, i, 1, 4000));
        w.sync();
        written = i;
      } catch (err) {
        failure = err;
        break;
      }
    }
    expect(failure).toBeInstanceOf(WalWriteError);
    expect((failure as WalWriteError).code).toBe("ENOSPC");
    expect(w.lastIndex()).toBe(written);
    w.close();
    const r = WalStorage.open(join(mnt, "member"));
    expect(r.lastIndex()).toBe(written);
    expect(r.recovery.tornTail).toBeUndefined();
    r.close();
  });
});
