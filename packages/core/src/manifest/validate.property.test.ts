import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { validateText } from "./validate.js";

// Whatever the input, the validator answers: valid documents, or errors that each carry a position.
function wellFormed(text: string): void {
  const result = validateText(text, "p.yaml");
  expect(result.ok).toBe(result.diagnostics.length === 0);
  const lineCount = text.split("\n").length;
  for (const d of result.diagnostics) {
    expect(d.file).toBe("p.yaml");
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lineCount + 1);
    expect(d.col).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
  }
}

const kinds = fc.constantFrom("Application", "Job", "Inventory", "Other");
const leaf = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("node"), { maxKeys: 5 }),
  ),
})).node;

describe("validator properties", () => {
  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => wellFormed(text)),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary YAML-ish text built from YAML tokens", () => {
    const token = fc.constantFrom(
      "a",
      ":",
      " ",
      "\n",
      "- ",
      "---",
      "{",
      "}",
      "[",
      "]",
      "&x",
      "*x",
      "!!str",
      "'",
      '"',
      "#",
      "  ",
      "kind: Job",
      "spec:",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => wellFormed(tokens.join(""))),
      {
        numRuns: 500,
      },
    );
  });

  it("never throws on arbitrary objects shaped like manifests", () => {
    const manifest = fc.record({
      apiVersion: fc.oneof(fc.constant("qonnect.io/v1alpha1"), fc.string()),
      kind: kinds,
      metadata: tree,
      spec: tree,
    });
    fc.assert(
      fc.property(manifest, (obj) => wellFormed(stringify(obj))),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary objects", () => {
    fc.assert(
      fc.property(tree, (obj) => wellFormed(stringify(obj) ?? "")),
      { numRuns: 300 },
    );
  });
});
