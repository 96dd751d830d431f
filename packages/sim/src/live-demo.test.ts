import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runLiveDemo } from "./live-demo.js";

const rootDir = resolve(import.meta.dirname, "../../..");

describe("live demo (real nats-server, real agents with the INA219 emulator, real workload processes)", () => {
  it("serves Bookinfo, survives a device loss by re-planning, and refuses a stale token", async () => {
    const lines: string[] = [];
    const result = await runLiveDemo({ rootDir, say: (l) => lines.push(l) });
    const log = lines.join("\n");
    expect(result.answeredBefore, log).toBe(true);
    expect(result.killed).toBe("pi4-berlin-a");
    expect(result.moves.length).toBeGreaterThan(0);
    expect(result.moves.every((m) => !m.includes(result.killed))).toBe(true);
    expect(result.moves.some((m) => m.startsWith("start productpage/1 on "))).toBe(true);
    expect(result.answeredAfter, log).toBe(true);
    expect(result.staleTokenRefused, log).toBe(true);
    expect(result.telemetrySamples).toBeGreaterThan(result.devices.length);
    expect(log).toMatch(/ratings/);
  }, 120_000);
});
