import { describe, expect, it } from "vitest";
import { LatencyTable, normaliseWeights } from "./model.js";

describe("normaliseWeights", () => {
  it("normalises to sum 1 and fills the missing objectives with 0", () => {
    const w = normaliseWeights({ energy: 0.2, carbon: 0.4, cost: 0.1, performance: 0.3 });
    expect(w.carbon).toBeCloseTo(0.4);
    expect(w.latency).toBe(0);
    expect(Object.values(w).reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(normaliseWeights({ carbon: 3, cost: 1 })).toMatchObject({ carbon: 0.75, cost: 0.25, energy: 0 });
  });

  it("weighs energy, carbon, cost and performance equally without qos", () => {
    expect(normaliseWeights(undefined)).toEqual({
      energy: 0.25,
      carbon: 0.25,
      cost: 0.25,
      performance: 0.25,
      latency: 0,
      battery: 0,
    });
  });

  it("refuses all-zero weights", () => {
    expect(() => normaliseWeights({ energy: 0 })).toThrow(/zero/);
  });
});

describe("LatencyTable", () => {
  const sites = ["edge", "fog", "cloud", "island"];
  const table = new LatencyTable(sites, [
    { from: "edge", to: "fog", ms: 2 },
    { from: "fog", to: "cloud", ms: 6 },
    { from: "cloud", to: "fog", ms: 7 },
  ]);

  it("is symmetric unless both directions are given", () => {
    expect(table.ms("edge", "fog")).toBe(2);
    expect(table.ms("fog", "edge")).toBe(2);
    expect(table.ms("fog", "cloud")).toBe(6);
    expect(table.ms("cloud", "fog")).toBe(7);
  });

  it("takes the shortest path for pairs without a link, 0 within a site, Infinity when unreachable", () => {
    expect(table.ms("edge", "cloud")).toBe(8);
    expect(table.ms("cloud", "edge")).toBe(9);
    expect(table.ms("fog", "fog")).toBe(0);
    expect(table.ms("edge", "island")).toBe(Number.POSITIVE_INFINITY);
    expect(table.ms("edge", "nowhere")).toBe(Number.POSITIVE_INFINITY);
  });
});
