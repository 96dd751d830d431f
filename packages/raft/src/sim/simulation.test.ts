import { describe, expect, it } from "vitest";
import { runSeed, runSimulation } from "./run.js";

describe("deterministic whole-cluster simulation", () => {
  it("finds no safety, liveness or linearizability violation in 2,000 seeds", () => {
    const r = runSimulation({ seeds: 2000 });
    if (r.violations > 0) {
      const lines = r.failures.map((v) => `seed ${v.seed} t${v.tick} ${v.kind}: ${v.detail}`);
      throw new Error(
        `${r.violations} violations in seeds ${r.failedSeeds.join(", ")}; replay one with ` +
          `\`pnpm qonnect dev raft-sim --seed ${r.failedSeeds[0]}\`\n${lines.join("\n")}`,
      );
    }
    expect(r.seeds).toBe(2000);
    // the runs really exercise the protocol
    expect(r.elections).toBeGreaterThan(2000);
    expect(r.crashes).toBeGreaterThan(1000);
    expect(r.confChanges).toBeGreaterThan(500);
    expect(r.clientOps).toBeGreaterThan(20_000);
    expect(r.transfers).toBeGreaterThan(300);
    expect(r.snapshotChunks).toBeGreaterThan(3000);
  }, 300_000);

  it("replays a seed exactly", () => {
    const a: string[] = [];
    const b: string[] = [];
    const first = runSeed(42, { log: (l) => a.push(l) });
    const second = runSeed(42, { log: (l) => b.push(l) });
    expect(second).toEqual(first);
    expect(b).toEqual(a);
    expect(a.length).toBeGreaterThan(5);
  });

  it("catches an injected bug (reads served locally, without ReadIndex) and replays it from its seed", () => {
    const r = runSimulation({ seeds: 100, bug: "local-reads" });
    expect(r.violations).toBeGreaterThan(0);
    expect(r.failures[0]?.kind).toBe("linearizability");
    const seed = r.failedSeeds[0]!;
    const replay = runSimulation({ seed, bug: "local-reads" });
    expect(replay.failures).toEqual(r.failures.filter((v) => v.seed === seed));
  });

  it("catches an injected bug (acknowledging before persisting, then crashing) as a safety violation", () => {
    const r = runSimulation({ seeds: 60, bug: "ack-before-persist" });
    expect(r.violations).toBeGreaterThan(0);
    const kinds = new Set(r.failures.map((v) => v.kind));
    expect(
      ["leader-completeness", "state-machine-safety", "election-safety", "log-matching"].some((k) =>
        kinds.has(k as never),
      ),
    ).toBe(true);
  });
});
