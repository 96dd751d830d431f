import { freemem, totalmem } from "node:os";
import { readProcFile } from "../runtime/proc-file.js";

/** Device memory in bytes: `active` is what is in use (total − MemAvailable). */
export interface MemInfo {
  totalBytes: number;
  activeBytes: number;
}

/**
 * Total and active memory from one asynchronous /proc/meminfo read, with systeminformation's `mem()`
 * semantics on Linux (total − MemAvailable; without MemAvailable, total − (MemFree + Buffers + Cached + Slab);
 * a missing /proc/meminfo falls back to `os`). Replaces systeminformation here to keep its 300 KiB of source
 * out of the agent's memory.
 */
export async function readMemInfo(file = "/proc/meminfo"): Promise<MemInfo> {
  let text: string;
  try {
    text = await readProcFile(file);
  } catch {
    return { totalBytes: totalmem(), activeBytes: totalmem() - freemem() };
  }
  return parseMemInfo(text);
}

/** The fields of /proc/meminfo text (kB) that `readMemInfo` uses, in bytes. */
export function parseMemInfo(text: string): MemInfo {
  const kB = new Map<string, number>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!kB.has(key)) kB.set(key, Number.parseInt(line.slice(colon + 1).trim(), 10));
  }
  // a zero or missing field counts as absent, as in systeminformation
  const bytes = (key: string) => {
    const v = kB.get(key);
    return v ? v * 1024 : 0;
  };
  const totalBytes = bytes("memtotal") || totalmem();
  const freeBytes = bytes("memfree") || freemem();
  const availableBytes =
    bytes("memavailable") || freeBytes + bytes("buffers") + bytes("cached") + bytes("slab");
  return { totalBytes, activeBytes: totalBytes - availableBytes };
}
