import { describe, expect, it } from "vitest";
import {
  formatCpuCores,
  formatMemoryBytes,
  parseCpuCores,
  parseDurationMs,
  parseMemoryBytes,
  QuantityError,
} from "./quantity.js";

describe("parseCpuCores", () => {
  it.each([
    ["500m", 0.5],
    ["2", 2],
    ["0.25", 0.25],
    ["1500m", 1.5],
    [4, 4],
  ] as const)("%s → %d cores", (input, cores) => {
    expect(parseCpuCores(input)).toBe(cores);
  });

  it.each(["", "2 cores", "-1", "500M", "m", "1e3"])("rejects %j with the accepted forms", (input) => {
    expect(() => parseCpuCores(input)).toThrow(QuantityError);
    expect(() => parseCpuCores(input)).toThrow(/500m or 2/);
  });

  it("rejects negative and non-finite numbers", () => {
    expect(() => parseCpuCores(-1)).toThrow(QuantityError);
    expect(() => parseCpuCores(Number.NaN)).toThrow(QuantityError);
  });
});

describe("parseMemoryBytes", () => {
  it.each([
    ["256Mi", 256 * 2 ** 20],
    ["1Gi", 2 ** 30],
    ["1G", 1e9],
    ["512k", 512_000],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["100", 100],
    [2048, 2048],
  ] as const)("%s → %d bytes", (input, bytes) => {
    expect(parseMemoryBytes(input)).toBe(bytes);
  });

  it.each(["256MB", "1 Gi", "Gi", "-5Mi", "1gi"])("rejects %j", (input) => {
    expect(() => parseMemoryBytes(input)).toThrow(/256Mi/);
  });
});

describe("parseDurationMs", () => {
  it.each([
    ["30s", 30_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
  ] as const)("%s → %d ms", (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each(["", "30", "5 m", "1w", "m5"])("rejects %j", (input) => {
    expect(() => parseDurationMs(input)).toThrow(/30s, 5m/);
  });
});

describe("formatting", () => {
  it("formats memory in binary units and cpu in millicores below one core", () => {
    expect(formatMemoryBytes(256 * 2 ** 20)).toBe("256Mi");
    expect(formatMemoryBytes(1.5 * 2 ** 30)).toBe("1.5Gi");
    expect(formatCpuCores(0.5)).toBe("500m");
    expect(formatCpuCores(2)).toBe("2");
    expect(formatCpuCores(1.25)).toBe("1.25");
  });
});
