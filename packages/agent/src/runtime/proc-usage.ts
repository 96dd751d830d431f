import { readProcFile } from "./proc-file.js";

/** CPU time and resident memory of one process, read from /proc (Linux). */
export interface ProcUsage {
  cpuSeconds: number;
  rssBytes: number;
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ; 100 on every Linux ABI that qonnect targets (arm64, x86-64)

/** Reads /proc/<pid>/stat and /proc/<pid>/status; undefined once the process is gone. */
export async function readProcUsage(pid: number): Promise<ProcUsage | undefined> {
  try {
    const [stat, status] = await Promise.all([
      readProcFile(`/proc/${pid}/stat`),
      readProcFile(`/proc/${pid}/status`),
    ]);
    // fields after the parenthesised command name; utime and stime are fields 14 and 15
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssKb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / CLOCK_TICKS_PER_S, rssBytes: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/** Turns successive CPU-time readings into cores in use. */
export class CpuRate {
  private last?: { cpuSeconds: number; atMs: number };

  /** Cores used since the previous reading (0 on the first). */
  update(cpuSeconds: number, atMs: number): number {
    const prev = this.last;
    this.last = { cpuSeconds, atMs };
    if (!prev || atMs <= prev.atMs) return 0;
    return Math.max(0, (cpuSeconds - prev.cpuSeconds) / ((atMs - prev.atMs) / 1000));
  }
}
