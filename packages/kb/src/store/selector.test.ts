import { describe, expect, it } from "vitest";
import { matches, parseSelector, SelectorError } from "./selector.js";

describe("label selectors", () => {
  const labels = { app: "web", tier: "edge", zone: "DE", canary: "" };
  it.each([
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["tier!=edge", false],
    ["tier!=fog", true],
    ["zone in (DE,FR)", true],
    ["zone in (PL)", false],
    ["zone notin (PL, FR)", true],
    ["missing notin (x)", true],
    ["missing in (x)", false],
    ["canary", true],
    ["!canary", false],
    ["!missing", true],
    ["app=web,zone in (DE,FR),!missing", true],
    ["app=web,zone in (FR)", false],
    ["", true],
  ])("%s → %s", (text, expected) => {
    expect(matches(parseSelector(text), labels)).toBe(expected);
  });

  it("rejects what it cannot read, saying what the syntax is", () => {
    expect(() => parseSelector("app=web,zone in DE")).toThrow(SelectorError);
    expect(() => parseSelector("=x")).toThrow(/e\.g\. app=web/);
  });
});
