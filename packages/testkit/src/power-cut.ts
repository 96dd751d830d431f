// A power-cut harness in the spirit of LazyFS: it records how much of every file was made durable by
// fsync/fdatasync, and `cut()` copies a directory as a power cut would leave it — every file holds what was
// synced plus a random prefix of what was written after (the unsynced tail reaches the disk partly, in
// order, or not at all). For append-only files (WAL and spool segments); files replaced by rename are
// taken as they are (they are renamed only after their own fsync).
import * as fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join, relative } from "node:path";

export interface PowerCutHarness {
  /** A copy of `dir` at `into` as a power cut now would leave it; `random()` in [0,1) picks each torn tail. */
  cut(dir: string, into: string, random: () => number): void;
  /** Stops recording and restores fs. */
  restore(): void;
}

export function powerCutHarness(): PowerCutHarness {
  const synced = new Map<string, number>();
  const original = { fsyncSync: fs.fsyncSync, fdatasyncSync: fs.fdatasyncSync, renameSync: fs.renameSync };
  const record = (fd: number) => {
    try {
      synced.set(fs.readlinkSync(`/proc/self/fd/${fd}`), fs.fstatSync(fd).size);
    } catch {
      // a directory fd or a closed one: nothing to record
    }
  };
  const cjs = fs as unknown as { default?: typeof fs } & typeof fs;
  const target = (cjs.default ?? cjs) as typeof fs & Record<string, unknown>;
  target.fsyncSync = (fd: number) => {
    original.fsyncSync(fd);
    record(fd);
  };
  target.fdatasyncSync = (fd: number) => {
    original.fdatasyncSync(fd);
    record(fd);
  };
  // a file synced under a temporary name and renamed keeps what it synced (the rename is the commit point)
  target.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
    original.renameSync(from, to);
    const n = synced.get(String(from));
    if (n !== undefined) {
      synced.delete(String(from));
      synced.set(String(to), n);
    }
  };
  syncBuiltinESMExports();
  return {
    cut(dir, into, random) {
      fs.cpSync(dir, into, { recursive: true });
      const walk = (d: string): string[] =>
        fs
          .readdirSync(d, { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
      for (const file of walk(dir)) {
        const size = fs.statSync(file).size;
        const durable = Math.min(synced.get(file) ?? 0, size);
        const keep = durable + Math.floor(random() * (size - durable + 1));
        if (keep < size) fs.truncateSync(join(into, relative(dir, file)), keep);
      }
    },
    restore() {
      target.fsyncSync = original.fsyncSync;
      target.fdatasyncSync = original.fdatasyncSync;
      target.renameSync = original.renameSync;
      syncBuiltinESMExports();
    },
  };
}
