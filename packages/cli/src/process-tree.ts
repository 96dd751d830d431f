// The processes this CLI started, directly or through its children (nats-server, agents' workloads and their
// watchdogs), found from /proc, so that a signal to `qonnect` stops everything it started.
import { readdirSync, readFileSync } from "node:fs";

/** One line of /proc/<pid>/stat, the fields we need. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  /** R, S, D, Z (zombie: already dead, waiting to be reaped), ... */
  state: string;
}

/** Parses /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses. */
export function parseStat(text: string): ProcEntry | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  const [state, ppid] = text
    .slice(close + 2)
    .split(" ")
    .slice(0, 2);
  if (!Number.isInteger(pid) || !state || ppid === undefined) return undefined;
  return { pid, ppid: Number(ppid), state };
}

/** Every live (non-zombie) descendant of `root` in `entries`, parents before children. */
export function descendantsOf(root: number, entries: ProcEntry[]): number[] {
  const children = new Map<number, ProcEntry[]>();
  for (const e of entries) {
    const list = children.get(e.ppid) ?? [];
    list.push(e);
    children.set(e.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (child.state !== "Z") out.push(child.pid);
      queue.push(child.pid);
    }
  }
  return out;
}

/** The process table from /proc (empty where there is no /proc). */
export function readProcTable(): ProcEntry[] {
  let names: string[];
  try {
    names = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const out: ProcEntry[] = [];
  for (const name of names) {
    try {
      const e = parseStat(readFileSync(`/proc/${name}/stat`, "utf8"));
      if (e) out.push(e);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    const e = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return e !== undefined && e.state !== "Z";
  } catch {
    return false;
  }
};

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
};

/**
 * Stops every live descendant of this process: SIGTERM, then SIGKILL to those still alive after `graceMs`.
 * Resolves with the pids it signalled.
 */
export async function stopDescendants(graceMs = 3000): Promise<number[]> {
  const pids = descendantsOf(process.pid, readProcTable());
  for (const pid of pids) signal(pid, "SIGTERM");
  const untilMs = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < untilMs) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) signal(pid, "SIGKILL");
  return pids;
}
