import { describe, expect, it } from "vitest";
import { SequenceGaps } from "./sequence-gaps.js";

describe("SequenceGaps", () => {
  it("names the numbers a watcher did not see, per device, and repeats as repeats", () => {
    const g = new SequenceGaps();
    expect(g.observe("a", 12).kind).toBe("first");
    expect(g.observe("a", 13).kind).toBe("next");
    expect(g.observe("b", 600).kind).toBe("first");
    expect(g.observe("a", 21)).toEqual({ kind: "gap", fromSeq: 14, toSeq: 20, missing: 7 });
    expect(g.observe("a", 21).kind).toBe("repeat"); // at-least-once delivery
    expect(g.observe("a", 15).kind).toBe("repeat");
    expect(g.observe("b", 1200)).toEqual({ kind: "gap", fromSeq: 601, toSeq: 1199, missing: 599 });
    expect(g.totals()).toEqual({ gaps: 2, missing: 606 });
  });
});
