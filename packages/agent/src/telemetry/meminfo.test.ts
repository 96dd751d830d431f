import si from "systeminformation";
import { describe, expect, it } from "vitest";
import { parseMemInfo, readMemInfo } from "./meminfo.js";

describe("readMemInfo", () => {
  it("matches systeminformation's mem() total and active", async () => {
    const [ours, theirs] = await Promise.all([readMemInfo(), si.mem()]);
    expect(ours.totalBytes).toBe(theirs.total);
    // both read /proc/meminfo at almost the same instant
    expect(Math.abs(ours.activeBytes - theirs.active)).toBeLessThan(64 * 2 ** 20);
  });

  it("uses MemAvailable, else free + buffers + cached + slab", () => {
    const withAvailable = "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\nBuffers: 10 kB\n";
    expect(parseMemInfo(withAvailable)).toEqual({ totalBytes: 1000 * 1024, activeBytes: 400 * 1024 });
    const without =
      "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 200 kB\nSwapCached: 5 kB\nSlab: 40 kB\n";
    expect(parseMemInfo(without)).toEqual({ totalBytes: 1000 * 1024, activeBytes: 650 * 1024 });
  });
});
