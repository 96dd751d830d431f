import { describe, expect, it } from "vitest";
import type { Entry } from "../entry.js";
import { SafetyChecker } from "./invariants.js";

const e = (index: number, term: number, data = `${index}.${term}`): Entry => ({
  index,
  term,
  type: "normal",
  data: new TextEncoder().encode(data),
});

function checker() {
  return new SafetyChecker(7, () => 99);
}

describe("SafetyChecker", () => {
  it("flags two leaders in one term", () => {
    const c = checker();
    c.leader(1, 2, () => 0, 1);
    c.leader(1, 2, () => 0, 1);
    expect(c.violations).toEqual([]);
    c.leader(2, 2, () => 0, 1);
    expect(c.violations[0]).toMatchObject({ seed: 7, tick: 99, kind: "election-safety" });
  });

  it("flags entries with the same index and term but different data or history", () => {
    const c = checker();
    c.persistedEntries(1, [e(1, 1), e(2, 1)], (i) => (i === 0 ? 0 : 1));
    c.persistedEntries(2, [e(1, 1), e(2, 1)], (i) => (i === 0 ? 0 : 1));
    expect(c.violations).toEqual([]);
    c.persistedEntries(3, [e(2, 1, "other")], () => 1);
    expect(c.violations[0]?.kind).toBe("log-matching");
    const d = checker();
    d.persistedEntries(1, [e(3, 2)], () => 1);
    d.persistedEntries(2, [e(3, 2)], () => 2);
    expect(d.violations[0]?.kind).toBe("log-matching");
  });

  it("flags different entries applied at one index", () => {
    const c = checker();
    c.appliedEntry(1, e(5, 2));
    c.appliedEntry(2, e(5, 2));
    expect(c.violations).toEqual([]);
    c.appliedEntry(3, e(5, 3));
    expect(c.violations[0]?.kind).toBe("state-machine-safety");
  });

  it("flags a leader that lacks a committed entry, but not one that compacted it", () => {
    const c = checker();
    c.appliedEntry(1, e(4, 2));
    c.leader(2, 3, (i) => (i === 4 ? 2 : 0), 1);
    c.leader(3, 4, () => 0, 5); // entry 4 is inside its snapshot
    expect(c.violations).toEqual([]);
    c.leader(1, 5, (i) => (i === 4 ? 1 : 0), 1);
    expect(c.violations[0]?.kind).toBe("leader-completeness");
  });
});
