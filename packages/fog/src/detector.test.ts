import { describe, expect, it } from "vitest";
import { DEFAULT_DETECTOR, FailureDetector } from "./detector.js";

/** Feeds 1 Hz samples of `devices` (name → site) from `fromMs` up to `toMs`. */
function feed(d: FailureDetector, devices: Record<string, string>, fromMs: number, toMs: number) {
  for (let t = fromMs; t <= toMs; t += 1000)
    for (const [name, site] of Object.entries(devices)) d.observe(name, site, t);
}

const SITES = { a1: "s1", a2: "s1", a3: "s1", b1: "s2", b2: "s2" };

describe("FailureDetector", () => {
  it("declares a crashed device dead within 3 s of its last sample while its site reports", () => {
    const d = new FailureDetector();
    feed(d, SITES, 0, 30_000);
    // a1 stops after 30 s; the others go on
    const others = { a2: "s1", a3: "s1", b1: "s2", b2: "s2" };
    let deadAt: number | undefined;
    for (let t = 30_010; t <= 40_000 && deadAt === undefined; t += 10) {
      if (t % 1000 === 0) for (const [n, s] of Object.entries(others)) d.observe(n, s, t);
      if (d.evaluate(t).get("a1")?.verdict === "dead") deadAt = t;
    }
    expect(deadAt).toBeDefined();
    expect(deadAt! - 30_000).toBeLessThanOrEqual(3000);
    expect(d.evaluate(deadAt!).get("a1")?.reason).toMatch(/site s1 still reports/);
    expect(d.evaluate(deadAt!).get("a2")?.verdict).toBe("alive");
  });

  it("a disconnect is evidence: suspect at once, dead after one missed sample while the site's connected devices report", () => {
    const d = new FailureDetector();
    feed(d, SITES, 0, 30_000);
    d.disconnect("a1", 30_100, "Client Closed");
    expect(d.evaluate(30_100).get("a1")).toMatchObject({ verdict: "suspect", evidence: true });
    const others = { a2: "s1", a3: "s1", b1: "s2", b2: "s2" };
    let deadAt: number | undefined;
    for (let t = 30_110; t <= 40_000 && deadAt === undefined; t += 10) {
      if (t % 1000 === 0) for (const [n, s] of Object.entries(others)) d.observe(n, s, t);
      if (d.evaluate(t).get("a1")?.verdict === "dead") deadAt = t;
    }
    // silent at 1.5 s after its last sample (not 2.0–2.5 s), and a2/a3 were heard after the disconnect
    expect(deadAt).toBe(30_000 + DEFAULT_DETECTOR.disconnectedSilenceMs);
    // a sample clears the evidence
    d.observe("a1", "s1", 40_000);
    expect(d.evaluate(40_010).get("a1")?.verdict).toBe("alive");
  });

  it("a whole site disconnecting at once is unreachable, never dead", () => {
    const d = new FailureDetector();
    feed(d, SITES, 0, 30_000);
    d.disconnect("b1", 30_100, "Client Closed");
    d.disconnect("b2", 30_120, "Client Closed");
    const seen = new Set<string>();
    for (let t = 30_130; t <= 36_000; t += 10) {
      if (t % 1000 === 0) for (const n of ["a1", "a2", "a3"]) d.observe(n, "s1", t);
      const j = d.evaluate(t);
      seen.add(j.get("b1")!.verdict).add(j.get("b2")!.verdict);
    }
    expect(seen).toEqual(new Set(["suspect", "unreachable"]));
    expect(d.evaluate(36_000).get("b1")?.reason).toMatch(/every device of site s2 silent \(cut\)/);
  });

  it("a lone device whose host closed its connection is dead once silent; a stale one is unreachable", () => {
    const d = new FailureDetector();
    const lone = { a1: "s1", a2: "s1", c1: "s3", d1: "s4" };
    feed(d, lone, 0, 30_000);
    d.disconnect("c1", 30_100, "Client Closed");
    d.disconnect("d1", 30_100, "Stale Connection");
    const seen = { c1: new Set<string>(), d1: new Set<string>() };
    let deadAt: number | undefined;
    for (let t = 30_110; t <= 36_000; t += 10) {
      if (t % 1000 === 0) for (const n of ["a1", "a2"]) d.observe(n, "s1", t);
      const j = d.evaluate(t);
      seen.c1.add(j.get("c1")!.verdict);
      seen.d1.add(j.get("d1")!.verdict);
      if (deadAt === undefined && j.get("c1")?.verdict === "dead") deadAt = t;
    }
    expect(deadAt).toBe(30_000 + DEFAULT_DETECTOR.disconnectedSilenceMs);
    expect(seen.c1).toEqual(new Set(["suspect", "dead"]));
    expect(d.evaluate(36_000).get("c1")?.reason).toMatch(/its host closed its connection \(Client Closed\)/);
    // closed for another reason (the server gave up on it): no proof the link was up, a cut of its site
    expect(seen.d1).toEqual(new Set(["suspect", "unreachable"]));
    // a lone device silent without any disconnect is a cut, as before
    const e = new FailureDetector();
    feed(e, lone, 0, 30_000);
    for (let t = 31_000; t <= 36_000; t += 1000) for (const n of ["a1", "a2"]) e.observe(n, "s1", t);
    expect(e.evaluate(36_000).get("c1")?.verdict).toBe("unreachable");
  });

  it("passes through suspect before dead, and tolerates one late sample", () => {
    const d = new FailureDetector();
    feed(d, { x: "s1", y: "s1" }, 0, 20_000);
    // x's next sample is 0.8 s late: suspect for a while, never dead
    const verdicts = new Set<string>();
    for (let t = 20_010; t < 21_800; t += 10) {
      if (t % 1000 === 0) d.observe("y", "s1", t);
      verdicts.add(d.evaluate(t).get("x")!.verdict);
    }
    expect(verdicts).toEqual(new Set(["alive", "suspect"]));
    d.observe("x", "s1", 21_800);
    expect(d.evaluate(21_810).get("x")?.verdict).toBe("alive");
  });

  it("adapts to a device's own rhythm: a slow sender is not dead at a fast sender's threshold", () => {
    const d = new FailureDetector({ ...DEFAULT_DETECTOR, maxSilenceMs: 30_000 });
    for (let t = 0; t <= 60_000; t += 5000) d.observe("slow", "s1", t);
    for (let t = 0; t <= 64_000; t += 1000) d.observe("fast", "s1", t);
    // 4 s after its last sample the 5 s sender is fine; a 1 s sender silent that long is not
    expect(d.evaluate(64_000).get("slow")?.verdict).toBe("alive");
    d.observe("slow", "s1", 65_000);
    for (let t = 0; t <= 68_000; t += 1000) d.observe("witness", "s1", t);
    expect(d.evaluate(68_000).get("fast")?.verdict).toBe("dead");
  });

  it("calls it a cut, not a crash, when every device of a site goes silent together", () => {
    const d = new FailureDetector();
    feed(d, SITES, 0, 10_000);
    for (let t = 11_000; t <= 16_000; t += 1000) for (const n of ["a1", "a2", "a3"]) d.observe(n, "s1", t);
    const v = d.evaluate(16_000);
    expect(v.get("b1")).toMatchObject({ verdict: "unreachable" });
    expect(v.get("b1")?.reason).toMatch(/every device of site s2 silent/);
    expect(v.get("a1")?.verdict).toBe("alive");
  });

  it("calls it a cut when most of the region goes silent, even if each site keeps one device", () => {
    const d = new FailureDetector();
    feed(d, SITES, 0, 10_000);
    for (let t = 11_000; t <= 16_000; t += 1000) {
      d.observe("a1", "s1", t);
      d.observe("b1", "s2", t);
    }
    const v = d.evaluate(16_000);
    for (const n of ["a2", "a3", "b2"]) expect(v.get(n)?.verdict).toBe("unreachable");
    expect(v.get("a2")?.reason).toMatch(/3 of 5 devices of the region silent/);
  });

  it("counts a lone device as a whole site", () => {
    const d = new FailureDetector();
    feed(d, { solo: "s9", a1: "s1", a2: "s1" }, 0, 10_000);
    for (let t = 11_000; t <= 16_000; t += 1000) {
      d.observe("a1", "s1", t);
      d.observe("a2", "s1", t);
    }
    expect(d.evaluate(16_000).get("solo")?.verdict).toBe("unreachable");
  });

  it("gives a tracked device that never reported a full period before judging it", () => {
    const d = new FailureDetector();
    feed(d, { a1: "s1" }, 0, 10_000);
    d.track("ghost", "s1", 10_000);
    let deadAt: number | undefined;
    for (let t = 10_010; t <= 20_000 && deadAt === undefined; t += 10) {
      if (t % 1000 === 0) d.observe("a1", "s1", t);
      const v = d.evaluate(t).get("ghost")!.verdict;
      if (t < 11_000) expect(v).toBe("alive");
      if (v === "dead") deadAt = t;
    }
    expect(deadAt).toBeDefined();
    expect(deadAt! - 10_000).toBeLessThanOrEqual(3000);
  });

  it("never calls a device of a cut site dead because its neighbours sample in a later phase", () => {
    const d = new FailureDetector();
    // s2's two devices report half a second apart; the cut reaches both between their samples
    for (let t = 0; t <= 10_000; t += 1000) {
      for (const n of ["a1", "a2"]) d.observe(n, "s1", t);
      d.observe("b1", "s2", t);
      d.observe("b2", "s2", t + 500);
    }
    const seen = new Set<string>();
    for (let t = 10_510; t <= 16_000; t += 10) {
      if (t % 1000 === 0) for (const n of ["a1", "a2"]) d.observe(n, "s1", t);
      const v = d.evaluate(t);
      seen.add(v.get("b1")!.verdict);
      seen.add(v.get("b2")!.verdict);
    }
    expect(seen.has("dead")).toBe(false);
    expect(d.evaluate(16_000).get("b1")?.verdict).toBe("unreachable");
  });
});
