import { describe, expect, it } from "vitest";
import { filterDevices, staticReason } from "./filter.js";
import { applicationOf, inventoryOf } from "./fixture.js";

const inventory = inventoryOf({
  zones: [{ name: "Z", intensityGPerKWh: 100 }],
  sites: [
    { name: "edge-a", tier: "edge", region: "north", zone: "Z" },
    { name: "fog-a", tier: "fog", region: "north", zone: "Z" },
    { name: "cloud-b", tier: "cloud", region: "south", zone: "Z" },
  ],
  latencies: [
    { from: "edge-a", to: "fog-a", ms: 3 },
    { from: "fog-a", to: "cloud-b", ms: 30 },
  ],
  devices: [
    {
      name: "ok",
      site: "fog-a",
      arch: "amd64",
      cpu: 4,
      memory: "4Gi",
      power: { idleW: 1, maxW: 5 },
      labels: { camera: "true" },
    },
    {
      name: "dead",
      site: "fog-a",
      arch: "amd64",
      cpu: 4,
      memory: "4Gi",
      power: { idleW: 1, maxW: 5 },
      alive: false,
    },
    { name: "edge", site: "edge-a", arch: "amd64", cpu: 4, memory: "4Gi", power: { idleW: 1, maxW: 5 } },
    { name: "arm", site: "fog-a", arch: "arm64", cpu: 4, memory: "4Gi", power: { idleW: 1, maxW: 5 } },
    { name: "far", site: "cloud-b", arch: "amd64", cpu: 4, memory: "4Gi", power: { idleW: 1, maxW: 5 } },
    { name: "nolabel", site: "fog-a", arch: "amd64", cpu: 4, memory: "4Gi", power: { idleW: 1, maxW: 5 } },
    {
      name: "flat",
      site: "fog-a",
      arch: "amd64",
      cpu: 4,
      memory: "4Gi",
      power: { idleW: 1, maxW: 5 },
      labels: { camera: "true" },
      battery: { capacityWh: 10, soc: 0.25, minSoc: 0.1 },
    },
    {
      name: "busy",
      site: "fog-a",
      arch: "amd64",
      cpu: 4,
      memory: "4Gi",
      power: { idleW: 1, maxW: 5 },
      labels: { camera: "true" },
      used: { cpu: "3500m", memory: "1Gi" },
    },
    {
      name: "small",
      site: "fog-a",
      arch: "amd64",
      cpu: 4,
      memory: "512Mi",
      power: { idleW: 1, maxW: 5 },
      labels: { camera: "true" },
    },
    {
      name: "nogpu",
      site: "fog-a",
      arch: "amd64",
      cpu: 4,
      memory: "4Gi",
      power: { idleW: 1, maxW: 5 },
      labels: { camera: "true" },
    },
  ],
});

const app = (
  placement: Record<string, unknown>,
  resources: Record<string, unknown> = { cpu: "1", memory: "1Gi" },
) => applicationOf({ services: [{ name: "svc", resources, placement }] }).services[0]!;

const reason = (name: string, placement: Record<string, unknown>, resources?: Record<string, unknown>) =>
  staticReason(app(placement, resources), inventory.devices.find((d) => d.name === name)!, inventory);

describe("static filter", () => {
  it("rejects dead devices (alive)", () => expect(reason("dead", {})).toBe("alive"));
  it("rejects other tiers", () => expect(reason("edge", { tiers: ["fog"] })).toBe("tier"));
  it("rejects other architectures", () => expect(reason("arm", { arch: ["amd64"] })).toBe("arch"));
  it("rejects other regions", () => expect(reason("far", { regions: ["north"] })).toBe("region"));
  it("rejects other sites", () => expect(reason("edge", { sites: ["fog-a"] })).toBe("site"));
  it("rejects devices missing a label", () =>
    expect(reason("nolabel", { labels: { camera: "true" } })).toBe("labels"));
  it("rejects batteries below the service's floor and accepts above", () => {
    expect(reason("flat", { minBatterySoc: 0.3 })).toBe("battery");
    expect(reason("flat", { minBatterySoc: 0.2 })).toBeUndefined();
  });
  it("rejects devices too far from the users", () => {
    expect(reason("far", { nearUsers: { site: "edge-a", maxLatencyMs: 20 } })).toBe("nearUsers");
    expect(reason("ok", { nearUsers: { site: "edge-a", maxLatencyMs: 3 } })).toBeUndefined();
  });
  it("rejects by free capacity after what already runs", () => {
    expect(reason("busy", {})).toBe("cpu");
    expect(reason("small", {})).toBe("memory");
    expect(reason("nogpu", {}, { cpu: "1", memory: "1Gi", gpu: 1 })).toBe("gpu");
  });
  it("counts rejected devices by their first reason", () => {
    const { candidates, rejected } = filterDevices(
      app({ tiers: ["fog"], labels: { camera: "true" } }),
      inventory,
    );
    expect(candidates.map((d) => inventory.devices[d]!.name)).toEqual(["ok", "flat", "nogpu"]);
    expect(rejected).toEqual({ alive: 1, tier: 2, labels: 2, cpu: 1, memory: 1 });
  });
});
