import { describe, expect, it } from "vitest";
import { ForecastSignal, forecastFromTrace } from "./forecast.js";
import { ExcessPowerSignal, ScaledSignal, SignalError, StaticSignal } from "./signal.js";
import { TraceSignal } from "./trace.js";

const H = 3_600_000;

describe("StaticSignal, ScaledSignal, ExcessPowerSignal", () => {
  it("static is constant, scaled multiplies", () => {
    expect(new StaticSignal(300).at(0)).toBe(300);
    expect(new ScaledSignal(new StaticSignal(0.5), 400).at(123)).toBe(200);
  });
  it("excess power is production minus consumption, never negative", () => {
    const solar = new TraceSignal([0, H], [100, 20]);
    const load = [new StaticSignal(30), new StaticSignal(10)];
    const excess = new ExcessPowerSignal([solar], load);
    expect(excess.at(0)).toBe(60);
    expect(excess.at(H)).toBe(0);
  });
});

describe("TraceSignal", () => {
  const trace = new TraceSignal([0, 10, 20, 30], [1, 2, 3, 4]);
  it("forward-fills between samples and holds the last value", () => {
    expect([0, 5, 10, 19.9, 20, 30, 1e9].map((t) => trace.at(t))).toEqual([1, 1, 2, 2, 3, 4, 4]);
  });
  it("answers in any order (cursor and binary search agree)", () => {
    const times = Array.from({ length: 1000 }, (_, i) => i * 60_000);
    const t = new TraceSignal(
      times,
      times.map((_, i) => i),
    );
    for (const q of [59_999_999, 60_000, 30_000_000, 119_999, 0, 59_940_000])
      expect(t.at(q)).toBe(Math.floor(q / 60_000));
  });
  it("refuses times before the first sample", () => {
    expect(() => trace.at(-1)).toThrow(SignalError);
  });
  it("anchors, scales and wraps", () => {
    const t = new TraceSignal([100, 110], [0.5, 1], { anchorMs: 1000, scale: 200, wrap: true });
    expect(t.startMs).toBe(1000);
    expect(t.at(1000)).toBe(100);
    expect(t.at(1010)).toBe(200);
    expect(t.at(1020)).toBe(100); // period 20 ms: last − first + last step
    expect(t.at(1035)).toBe(200);
  });
  it("rejects unsorted, empty and mismatched input", () => {
    expect(() => new TraceSignal([1, 1], [0, 0])).toThrow(/strictly increasing/);
    expect(() => new TraceSignal([], [])).toThrow(/no samples/);
    expect(() => new TraceSignal([1], [1, 2], { source: "x.csv" })).toThrow(/^x\.csv: /);
  });
});

describe("ForecastSignal", () => {
  const issues = [
    {
      issuedAtMs: 0,
      points: [
        { tsMs: 0, value: 100 },
        { tsMs: H, value: 110 },
        { tsMs: 2 * H, value: 120 },
      ],
    },
    {
      issuedAtMs: H,
      points: [
        { tsMs: H, value: 200 },
        { tsMs: 2 * H, value: 210 },
      ],
    },
  ];
  const f = new ForecastSignal(issues);
  it("answers with what was known at issue time", () => {
    expect(f.forecast(0, 0, 3 * H, H).map((p) => p.value)).toEqual([100, 110, 120]);
    expect(f.forecast(H - 1, H, 3 * H, H).map((p) => p.value)).toEqual([110, 120]);
    expect(f.forecast(H, 0, 3 * H, H)).toEqual([
      { tsMs: H, value: 200 },
      { tsMs: 2 * H, value: 210 },
    ]);
    expect(f.forecast(-1, 0, H, H)).toEqual([]);
  });
  it("as a signal it is the nowcast of the latest issue", () => {
    expect(f.at(0)).toBe(100);
    expect(f.at(H + 5)).toBe(200);
    expect(() => f.at(-5)).toThrow(SignalError);
    expect(() => new ForecastSignal([])).toThrow(/no points/);
  });
  it("derives a perfect (or biased) forecast from a trace", () => {
    const trace = new TraceSignal([0, H, 2 * H, 3 * H], [10, 20, 30, 40]);
    const oracle = forecastFromTrace(trace, { horizonMs: 2 * H });
    expect(oracle.forecast(H, H, 3 * H, H).map((p) => p.value)).toEqual([20, 30]);
    const biased = forecastFromTrace(trace, { horizonMs: 2 * H, error: (leadMs) => leadMs / H / 10 });
    expect(biased.forecast(0, 0, 2 * H, H).map((p) => p.value)).toEqual([10, 22]);
  });
});
