// An exclusive lock on a data directory: flock(2) on <dir>/LOCK, held by an open file descriptor.
//
// flock rather than a PID file: the kernel drops the lock when the process dies however it dies (SIGKILL,
// power cut), so a stale LOCK never blocks a restart, and a PID that was reused by another process never
// makes two members share a directory. Node has no flock of its own; fs-ext (long-standing, native, also
// used for statvfs) provides flock(2). The PID written into LOCK is only for the error message.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { WalLockedError } from "./errors.js";

interface FsExt {
  flockSync(fd: number, flags: "exnb" | "un"): void;
}

let fsExt: FsExt | undefined;
function flockSync(fd: number, flags: "exnb" | "un"): void {
  if (!fsExt) {
    try {
      fsExt = createRequire(import.meta.url)("fs-ext") as FsExt;
    } catch (err) {
      throw new Error(
        "cannot load fs-ext (flock for the data directory's lock); a bundled build must ship " +
          "node_modules/fs-ext beside the bundle",
        { cause: err },
      );
    }
  }
  fsExt.flockSync(fd, flags);
}

/** Held lock; `release()` unlocks and closes (the file stays: removing a flock file races with lockers). */
export interface DirLock {
  release(): void;
}

/** Takes the directory's lock or throws WalLockedError naming the holder's PID. */
export function lockDir(dir: string): DirLock {
  const path = join(dir, "LOCK");
  const fd = openSync(path, "a+", 0o600);
  try {
    flockSync(fd, "exnb");
  } catch (err) {
    closeSync(fd);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EAGAIN" || code === "EWOULDBLOCK") {
      let pid = 0;
      try {
        pid = Number.parseInt(readFileSync(path, "utf8"), 10) || 0;
      } catch {
        // unreadable: the holder is unknown
      }
      throw new WalLockedError(dir, pid);
    }
    throw err;
  }
  ftruncateSync(fd, 0);
  writeSync(fd, String(process.pid));
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        flockSync(fd, "un");
      } finally {
        closeSync(fd);
      }
    },
  };
}
