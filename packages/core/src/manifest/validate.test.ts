import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { toApplication, toInventory } from "./model.js";
import { formatDiagnostic, validateText } from "./validate.js";

const examples = resolve(import.meta.dirname, "../../../../examples");

/** The Inventory example of DESIGN.md §3, verbatim: other tools write exactly this shape. */
const DESIGN_INVENTORY = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata:
  name: testbed
spec:
  zones:                                  # grid zones
    - { name: DE, intensityGPerKWh: 380, pricePerKWh: 0.32 }
  sites:
    - { name: berlin-cloud, tier: cloud, region: eu-central, zone: DE }
    - { name: berlin-edge-1, tier: edge, region: eu-central, zone: DE }
  latencies:                              # one-way, symmetric unless both directions are given
    - { from: berlin-cloud, to: berlin-edge-1, ms: 12 }
  devices:
    - name: pi5-a
      site: berlin-edge-1
      arch: arm64
      cpu: 4                              # cores
      memory: 8Gi
      gpu: 0
      power: { idleW: 2.7, maxW: 7.0 }    # optional exponent: gamma (default 1)
      pricePerHour: 0
      battery: { capacityWh: 37, soc: 0.8, minSoc: 0.2 }   # optional
      solar: { excessW: 4.0 }                               # optional
      used: { cpu: 500m, memory: 512Mi }                    # optional, already running
      labels: { camera: "true" }                            # optional
      alive: true                                           # optional, default true
`;

function errors(text: string): string[] {
  return validateText(text, "m.yaml").diagnostics.map(formatDiagnostic);
}

const APP = (services: string, extra = "") => `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata:
  name: shop
spec:${extra}
  services:
${services}`;

describe("validateText", () => {
  it("accepts the DESIGN.md inventory as written and normalises it", () => {
    const result = validateText(DESIGN_INVENTORY, "inv.yaml");
    expect(result.diagnostics).toEqual([]);
    const doc = result.documents[0]!.manifest;
    if (doc.kind !== "Inventory") throw new Error("expected an Inventory");
    const inv = toInventory(doc);
    expect(inv.devices[0]).toMatchObject({
      name: "pi5-a",
      tier: "edge",
      region: "eu-central",
      cpuCores: 4,
      memoryBytes: 8 * 2 ** 30,
      usedCpuCores: 0.5,
      usedMemoryBytes: 512 * 2 ** 20,
      solarExcessW: 4,
      gamma: 1,
      speed: 1,
    });
    expect(inv.latency.ms("berlin-edge-1", "berlin-cloud")).toBe(12);
  });

  it("accepts every example manifest", () => {
    // microgrid-*.yaml are kind Microgrid, defined by @qonnect/energy (registerKind); energy's tests validate them
    for (const name of readdirSync(examples).filter(
      (f) => f.endsWith(".yaml") && !f.startsWith("microgrid-"),
    )) {
      const result = validateText(readFileSync(join(examples, name), "utf8"), name);
      expect(result.diagnostics.map(formatDiagnostic), name).toEqual([]);
      expect(result.documents.length, name).toBeGreaterThan(0);
    }
  });

  it("points at the offending value with file:line:col", () => {
    const text = APP(`    - name: web
      resources: { cpu: 5 cores, memory: 256Mi }`);
    expect(errors(text)).toEqual(["m.yaml:8:25: cpu must look like 500m or 2"]);
  });

  it("points unknown fields at their key and suggests the intended one", () => {
    const text = APP(`    - name: web
      resources:
        cpu: 1
        memroy: 1Gi`);
    expect(errors(text)).toEqual([
      'm.yaml:9:9: missing required field "memory"',
      'm.yaml:10:9: unknown field "memroy" (did you mean "memory"?); allowed here: cpu, memory, gpu',
    ]);
  });

  it("reports every error of every document at once, in source order", () => {
    const text = `${APP(`    - name: web
      replicas: -1
      resources: { cpu: 1, memory: lots }
      placement: { tiers: [clod] }
      calls: [{ service: dbb }]
    - name: db
      resources: { cpu: 1, memory: 1Gi }`)}
---
kind: Aplication
`;
    expect(errors(text)).toEqual([
      "m.yaml:8:17: replicas: Too small: expected number to be >=0",
      "m.yaml:9:36: memory must look like 256Mi, 1Gi, 1G or a number of bytes",
      'm.yaml:10:28: tiers[0]: "clod" is not one of "cloud", "fog", "edge" (did you mean "cloud"?)',
      'm.yaml:11:26: calls unknown service "dbb" (did you mean "db"?); services of shop: web, db',
      'm.yaml:15:7: unknown kind "Aplication" (did you mean "Application"?); qonnect reads Application, Job, Inventory',
    ]);
  });

  it("takes only kubernetes.io/arch names, with a hint at the line and column of the typo", () => {
    const text = APP(`    - name: web
      resources: { cpu: 1, memory: 1Gi }
      placement:
        arch: [arm64, sparc99, amd46, aarch64]`);
    const got = errors(text);
    expect(got).toHaveLength(3);
    expect(got[0]).toMatch(
      /^m\.yaml:10:23: arch\[1\]: "sparc99" is not one of .*"amd64", "arm64", "arm", "ppc64le"/,
    );
    expect(got[0]).not.toContain("did you mean");
    expect(got[1]).toMatch(/^m\.yaml:10:32: arch\[2\]: "amd46" is not one of .* \(did you mean "amd64"\?\)$/);
    expect(got[2]).toMatch(
      /^m\.yaml:10:39: arch\[3\]: "aarch64" is not one of .* \(did you mean "arm64"\? Kubernetes calls aarch64 arm64\)$/,
    );
  });

  it("takes only kubernetes.io/arch names for a device too, with the hint at the typo", () => {
    const text = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata: { name: lab }
spec:
  zones: [{ name: DE, intensityGPerKWh: 300 }]
  sites:
    - { name: edge-1, tier: edge, region: r1, zone: DE }
  devices:
    - { name: d1, site: edge-1, arch: amd46, cpu: 4, memory: 1Gi, power: { idleW: 1, maxW: 7 } }
    - { name: d2, site: edge-1, arch: x86_64, cpu: 4, memory: 1Gi, power: { idleW: 1, maxW: 7 } }
    - { name: d3, site: edge-1, arch: riscv64, cpu: 4, memory: 1Gi, power: { idleW: 1, maxW: 7 } }
`;
    const got = errors(text);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatch(/^m\.yaml:9:39: arch: "amd46" is not one of .* \(did you mean "amd64"\?\)$/);
    expect(got[1]).toMatch(/^m\.yaml:10:39: arch: "x86_64" is not one of .*did you mean "amd64"/);
  });

  it("checks references in inventories", () => {
    const text = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata: { name: lab }
spec:
  zones: [{ name: DE, intensityGPerKWh: 300 }]
  sites:
    - { name: edge-1, tier: edge, region: r1, zone: FR }
  latencies:
    - { from: edge-1, to: edge-2, ms: 3 }
  devices:
    - { name: d1, site: edge-l, arch: arm64, cpu: 4, memory: 1Gi, power: { idleW: 8, maxW: 7 }, used: { cpu: 5, memory: 0 } }
    - { name: d1, site: edge-1, arch: arm64, cpu: 4, memory: 1Gi, power: { idleW: 1, maxW: 7 } }
`;
    expect(errors(text)).toEqual([
      'm.yaml:7:53: zone "FR" is not in spec.zones (did you mean "DE"?); add it there or fix the name',
      'm.yaml:9:27: unknown site "edge-2" (did you mean "edge-1"?)',
      'm.yaml:11:25: unknown site "edge-l" (did you mean "edge-1"?); sites: edge-1',
      "m.yaml:11:83: idleW 8 is above maxW 7",
      "m.yaml:11:110: used cpu is more than the device's 4 cores",
      'm.yaml:12:15: duplicate device name "d1"',
    ]);
  });

  it("rejects all-zero weights, duplicate services and self-calls", () => {
    const text = APP(
      `    - name: web
      resources: { cpu: 1, memory: 1Gi }
      calls: [{ service: web }]
    - name: web
      resources: { cpu: 1, memory: 1Gi }`,
      "\n  qos: { energy: 0, carbon: 0 }",
    );
    expect(errors(text)).toEqual([
      "m.yaml:6:8: at least one qos weight must be greater than 0 (or leave qos out for equal weights)",
      'm.yaml:10:26: service "web" cannot call itself',
      'm.yaml:11:13: duplicate service name "web"',
    ]);
  });

  it("reports YAML syntax errors and duplicate keys with positions", () => {
    expect(errors("kind: Application\nkind: Job\n")[0]).toMatch(
      /^m\.yaml:2:1: YAML: Map keys must be unique/,
    );
    expect(errors("a: [1, 2\n")[0]).toMatch(/^m\.yaml:\d+:\d+: YAML: /);
  });

  it("needs a mapping with a kind", () => {
    expect(errors("- 1\n- 2\n")).toEqual([
      "m.yaml:1:1: a manifest must be a mapping with apiVersion, kind, metadata and spec",
    ]);
    expect(errors("apiVersion: qonnect.io/v1alpha1\n")).toEqual([
      'm.yaml:1:1: missing required field "kind" (one of Application, Job, Inventory)',
    ]);
  });

  it("ignores empty documents and reads several kinds from one file", () => {
    const text = `---\n${DESIGN_INVENTORY}---\n---\n${APP(`    - name: web
      resources: { cpu: 500m, memory: 64Mi }`)}`;
    const result = validateText(text);
    expect(result.ok).toBe(true);
    expect(result.documents.map((d) => d.manifest.kind)).toEqual(["Inventory", "Application"]);
  });

  it("resolves a Job's relative deadline from the submission time", () => {
    const text = `apiVersion: qonnect.io/v1alpha1
kind: Job
metadata: { name: batch }
spec:
  durationMinutes: 30
  deadline: 12h
  services:
    - { name: work, resources: { cpu: 1, memory: 1Gi } }
`;
    const result = validateText(text);
    expect(result.diagnostics).toEqual([]);
    const job = result.documents[0]!.manifest;
    if (job.kind !== "Job") throw new Error("expected a Job");
    const app = toApplication(job, () => 1_000_000);
    expect(app.job).toEqual({
      durationMinutes: 30,
      deadlineMs: 1_000_000 + 12 * 3_600_000,
      earliestStartMs: 1_000_000,
    });
    expect(app.services[0]).toMatchObject({ replicas: 1, cpuCores: 1, memoryBytes: 2 ** 30 });
  });

  it("rejects a malformed deadline with the accepted forms", () => {
    const text = `apiVersion: qonnect.io/v1alpha1
kind: Job
metadata: { name: batch }
spec:
  durationMinutes: 30
  deadline: tomorrow
  services:
    - { name: work, resources: { cpu: 1, memory: 1Gi } }
`;
    expect(errors(text)).toEqual([
      "m.yaml:6:13: deadline must be an RFC 3339 time (2026-12-01T06:00:00Z) or a duration from submission (12h)",
    ]);
  });
});
