import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MANIFEST_LIMITS, validateText } from "./validate.js";

describe("manifest input limits", () => {
  it("refuses a 4 MB document with one diagnostic instead of validating it", () => {
    const big = `apiVersion: qonnect.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec:\n  services:\n${"    - {name: s, image: i}\n".repeat(170_000)}`;
    expect(big.length).toBeGreaterThan(4_000_000);
    const r = validateText(big, "big.yaml");
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]?.message).toMatch(/at most 1048576/);
  });

  it("refuses deep nesting, too many documents, and an alias bomb", () => {
    expect(validateText(`a: ${"[".repeat(200)}${"]".repeat(200)}`).diagnostics[0]?.message).toMatch(
      /nesting/,
    );
    expect(
      validateText("a: 1\n---\n".repeat(MANIFEST_LIMITS.maxDocuments + 1)).diagnostics[0]?.message,
    ).toMatch(/documents/);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++)
      bomb.push(`${"abcdefghij"[i]}: &${"abcdefghij"[i]} [${`*${"abcdefghij"[i - 1]}, `.repeat(9)}]`);
    const r = validateText(bomb.join("\n"));
    expect(r.ok).toBe(false);
  });

  it("fuzz: arbitrary text never throws out of validateText", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const r = validateText(text, "f.yaml");
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: Number(process.env.QONNECT_FUZZ_RUNS ?? 500) },
    );
  });
});
