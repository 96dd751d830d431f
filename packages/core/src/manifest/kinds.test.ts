import { describe, expect, it } from "vitest";
import { z } from "zod";
import { header } from "./common.js";
import { type KindDefinition, kindNames, registeredKind, registerKind } from "./kinds.js";
import { formatDiagnostic, validateText } from "./validate.js";

const gadget: KindDefinition = {
  schema: z.strictObject({ ...header("Gadget"), spec: z.strictObject({ watts: z.number().positive() }) }),
  check: (m: { spec: { watts: number } }) =>
    m.spec.watts > 100 ? [{ path: ["spec", "watts"], message: "watts: a gadget draws at most 100 W" }] : [],
  summary: "a test kind defined outside core",
};

const doc = (spec: string) => `apiVersion: qonnect.io/v1alpha1
kind: Gadget
metadata: { name: g }
spec:
${spec}
`;

describe("registerKind", () => {
  it("validates a registered kind with positioned errors, hints and checks", () => {
    expect(validateText(doc("  watts: 5"), "g.yaml").diagnostics.map(formatDiagnostic)).toEqual([
      'g.yaml:2:7: unknown kind "Gadget"; qonnect reads Application, Job, Inventory',
    ]);
    registerKind("Gadget", gadget);
    registerKind("Gadget", gadget); // same definition again: fine
    expect(registeredKind("Gadget")).toBe(gadget);
    expect(kindNames()).toEqual(["Application", "Job", "Inventory", "Gadget"]);

    const ok = validateText(doc("  watts: 5"), "g.yaml");
    expect(ok.ok).toBe(true);
    expect(ok.documents).toEqual([]);
    expect(ok.extensions).toMatchObject([
      { file: "g.yaml", index: 0, line: 1, manifest: { kind: "Gadget" } },
    ]);

    const bad = validateText(doc("  watts: 5\n  wats: 3"), "g.yaml");
    expect(bad.diagnostics.map(formatDiagnostic)).toEqual([
      'g.yaml:6:3: unknown field "wats" (did you mean "watts"?); allowed here: watts',
    ]);
    expect(validateText(doc("  watts: 500"), "g.yaml").diagnostics.map(formatDiagnostic)).toEqual([
      "g.yaml:5:10: watts: a gadget draws at most 100 W",
    ]);
    expect(validateText("kind: Gadgt\n", "g.yaml").diagnostics[0]?.message).toMatch(/did you mean "Gadget"/);
  });

  it("refuses built-in names and conflicting definitions", () => {
    expect(() => registerKind("Inventory", gadget)).toThrow(/built into/);
    registerKind("Widget", gadget);
    expect(() => registerKind("Widget", { ...gadget })).toThrow(/already registered/);
  });
});
