// CPU and memory of one process from /proc (the leader's cost, measured apart from the load generator's).
import { readFileSync } from "node:fs";

const TICKS_PER_S = 100; // USER_HZ on Linux

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat; fields[] starts at field 3
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
