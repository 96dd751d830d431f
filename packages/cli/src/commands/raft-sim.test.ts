import { describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

describe("qonnect dev raft-sim", () => {
  it("prints one JSON object with the seed count and no violations", async () => {
    const io = bufferIo();
    const code = await run(["dev", "raft-sim", "--seeds", "20", "--json"], io);
    expect(code).toBe(0);
    const r = JSON.parse(io.stdout) as { seeds: number; violations: number; elections: number };
    expect(r.seeds).toBe(20);
    expect(r.violations).toBe(0);
    expect(r.elections).toBeGreaterThan(0);
  });

  it("replays one seed with its trace", async () => {
    const io = bufferIo();
    expect(await run(["dev", "raft-sim", "--seed", "7"], io)).toBe(0);
    expect(io.stdout).toMatch(/leads term/);
    expect(io.stdout).toMatch(/^seeds\s+1$/m);
  });

  it("exits 1 and names a seed to replay when the checks find a violation", async () => {
    const io = bufferIo();
    const code = await run(["dev", "raft-sim", "--seeds", "30", "--inject-bug", "local-reads", "--json"], io);
    expect(code).toBe(1);
    const r = JSON.parse(io.stdout) as { violations: number; failedSeeds: number[] };
    expect(r.violations).toBeGreaterThan(0);
    expect(io.stderr).toContain(`--seed ${r.failedSeeds[0]} --inject-bug local-reads`);
  });

  it("rejects a bad seed count as a usage error", async () => {
    const io = bufferIo();
    expect(await run(["dev", "raft-sim", "--seeds", "zero"], io)).toBe(2);
    expect(io.stderr).toMatch(/--seeds must be an integer/);
  });
});
