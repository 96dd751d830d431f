import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance } from "./suggest.js";

describe("suggestions", () => {
  it("computes edit distance", () => {
    expect(editDistance("memroy", "memory")).toBe(2);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  it("suggests only close candidates", () => {
    expect(closest("memroy", ["cpu", "memory", "gpu"])).toBe("memory");
    expect(closest("xyzzy", ["cpu", "memory", "gpu"])).toBeUndefined();
    expect(didYouMean("Aplication", ["Application", "Job"])).toBe(' (did you mean "Application"?)');
    expect(didYouMean("zzz", [])).toBe("");
  });
});
