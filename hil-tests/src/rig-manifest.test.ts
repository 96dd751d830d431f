import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatDiagnostic, ManifestError } from "@qonnect/core";
import { describe, expect, it } from "vitest";
import { parseRig } from "./rig-manifest.js";

const SIM = join(import.meta.dirname, "../rigs/sim.yaml");

function problems(text: string): string[] {
  try {
    parseRig(text, "rig.yaml");
  } catch (err) {
    if (err instanceof ManifestError) return err.diagnostics.map(formatDiagnostic);
    throw err;
  }
  return [];
}

describe("rig description (kind: Rig)", () => {
  it("reads the simulated rig with its defaults filled in", () => {
    const rig = parseRig(readFileSync(SIM, "utf8"), SIM);
    expect(rig.spec.simulated).toBe(true);
    expect(rig.spec.boards.filter((b) => b.role === "fog").map((b) => b.name)).toEqual([
      "fog-1",
      "fog-2",
      "fog-3",
    ]);
    const a = rig.spec.boards[0]!;
    expect(a.power?.relay).toEqual({
      chip: "pinctrl-rp1",
      line: "GPIO17",
      activeLow: true,
      normallyOpen: true,
      safeState: "off",
    });
    expect(a.meter).toEqual({ bus: 1, address: 0x40, shuntOhm: 0.1, maxCurrentA: 3.2 });
    expect(a.arch).toBe("arm64");
  });

  it("positions every error at its key or value, all at once", () => {
    const text = [
      "apiVersion: qonnect.io/v1alpha1",
      "kind: Rig",
      "metadata: { name: bench }",
      "spec:",
      "  regions: [{ name: eu }]",
      "  boards:",
      "    - name: pi-a",
      "      type: raspberry-pi-5",
      "      ssh: pi@10.0.0.2",
      "      region: us",
      "      power: { relay: { chip: pinctrl-rp1, line: GPIO17, safeState: maybe } }",
      "      meter: { bus: 1, adress: 0x40 }",
      "    - name: pi-a",
      "      type: raspberry-pi-4",
      "      ssh: pi@10.0.0.3",
      "      region: eu",
    ].join("\n");
    const got = problems(text);
    expect(got).toContain('rig.yaml:11:69: safeState: "maybe" is not one of "off", "on"');
    expect(
      got.some((l) => l.startsWith('rig.yaml:12:24: unknown field "adress" (did you mean "address"?)')),
    ).toBe(true);
  });

  it("reports broken references: unknown region, duplicate board, a relay line used twice, grace ≤ cut", () => {
    const text = readFileSync(SIM, "utf8")
      .replace("line: GPIO27", "line: GPIO17")
      .replace(
        "region: eu-hil\n      labels: { site: bench-c }",
        "region: eu-nowhere\n      labels: { site: bench-c }",
      )
      .replace("partitionGraceS: 15", "partitionGraceS: 5");
    const got = problems(text).map((l) => l.replace(/^[^:]+:/, ""));
    expect(got.some((l) => /^\d+:\d+: pinctrl-rp1\/GPIO17 already switches board "pi5-a"/.test(l))).toBe(
      true,
    );
    expect(got.some((l) => /region "eu-nowhere" is not in spec.regions/.test(l))).toBe(true);
    expect(got.some((l) => /partitionGraceS must exceed networkCutS/.test(l))).toBe(true);
  });

  it("asks a real rig for its leafnode URLs", () => {
    const text = readFileSync(SIM, "utf8").replace("simulated: true", "simulated: false");
    expect(problems(text).some((l) => l.includes("a real rig names the region's leafnode URLs"))).toBe(true);
  });
});
