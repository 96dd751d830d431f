import { describe, expect, it } from "vitest";
import { CpuTimes, SystemSampler } from "./system-sampler.js";

describe("SystemSampler", () => {
  it("reports utilisation in 0..1 and memory used below total", async () => {
    const sampler = new SystemSampler();
    await sampler.sample();
    const s = await sampler.sample();
    expect(s.cpuUtil).toBeGreaterThanOrEqual(0);
    expect(s.cpuUtil).toBeLessThanOrEqual(1);
    expect(s.memoryUsedBytes).toBeGreaterThan(0);
    expect(s.memoryTotalBytes).toBeGreaterThan(s.memoryUsedBytes);
  });

  it("sees a busy loop as CPU use", async () => {
    const cpu = new CpuTimes();
    await cpu.utilisation();
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // burn one core
    }
    expect(await cpu.utilisation()).toBeGreaterThan(0);
  });

  it("gathers the static facts for registration", async () => {
    const facts = await new SystemSampler().facts();
    expect(facts.cpuCores).toBeGreaterThan(0);
    expect(facts.memoryBytes).toBeGreaterThan(0);
    expect(["amd64", "arm64", "arm"]).toContain(facts.arch);
  });
});
