// File-system steps the log relies on for durability: fsync of directories and atomic file replacement.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";

/** Makes the directory's entries (created, renamed, removed files) durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `path` so that after a crash it holds either its old content or all of `chunks`: temp, fsync, rename, fsync dir. */
export function writeFileAtomic(dir: string, path: string, chunks: Uint8Array[]): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

/** Writes all of `data` at the file's current position. */
export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off);
}

/** A fixed-width hexadecimal number, so that file names sort in numeric order. */
export function hex16(n: number): string {
  return n.toString(16).padStart(16, "0");
}
