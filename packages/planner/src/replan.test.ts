import { describe, expect, it } from "vitest";
import { assessPlacement } from "./assess.js";
import { applicationOf, inventoryOf } from "./fixture.js";
import { generateApplication, generateInventory } from "./generate.js";
import { Planner, planSync } from "./plan.js";
import { buildProblem } from "./problem.js";
import { updateProblem } from "./update.js";

const fleet = (changes: Record<string, Record<string, unknown>> = {}) =>
  inventoryOf({
    zones: [
      { name: "DE", intensityGPerKWh: 400, pricePerKWh: 0.3 },
      { name: "FR", intensityGPerKWh: 60, pricePerKWh: 0.2 },
    ],
    sites: [
      { name: "a", tier: "edge", region: "r", zone: "DE" },
      { name: "b", tier: "fog", region: "r", zone: "FR" },
    ],
    latencies: [{ from: "a", to: "b", ms: 5 }],
    devices: ["a1", "a2", "b1", "b2"].map((name) => ({
      name,
      site: name[0],
      arch: "arm64",
      cpu: 4,
      memory: "8Gi",
      power: { idleW: 2, maxW: 10 },
      ...(name === "a1" ? { battery: { capacityWh: 30, soc: 0.9, minSoc: 0.2 }, solar: { excessW: 3 } } : {}),
      ...changes[name],
    })),
  });

const app = applicationOf({
  qos: { carbon: 0.6, energy: 0.4 },
  services: [
    {
      name: "web",
      replicas: 2,
      resources: { cpu: "1", memory: "1Gi" },
      placement: { spread: "device", minBatterySoc: 0.3 },
    },
    { name: "db", replicas: 1, resources: { cpu: "2", memory: "2Gi" }, calls: [] },
  ],
});

describe("incremental re-planning", () => {
  it("moves nothing when nothing changed", () => {
    const first = planSync(fleet(), app);
    const again = planSync(fleet(), app, { current: first.placements });
    expect(again.moves).toEqual([]);
    expect(again.placements).toEqual(first.placements);
  });

  it("moves nothing on a large fleet when nothing changed", () => {
    const inventory = generateInventory(300, 5);
    const big = generateApplication(inventory, { devices: 300, replicas: 600, seed: 5 });
    const first = planSync(inventory, big);
    const again = planSync(inventory, big, { current: first.placements });
    expect(again.moves).toEqual([]);
  });

  it("after a device is lost only its replicas move, each started before anything stops", () => {
    const first = planSync(fleet(), app);
    const lost = first.placements[0]!.device;
    const after = planSync(fleet({ [lost]: { alive: false } }), app, { current: first.placements });
    const moved = first.placements.filter((p) => p.device === lost);
    expect(after.moves.filter((m) => m.op === "start").length).toBe(moved.length);
    expect(after.moves.every((m) => m.why === "alive")).toBe(true);
    expect(after.moves.some((m) => m.op === "stop")).toBe(false); // the dead device stops by itself
    expect(assessPlacement(fleet({ [lost]: { alive: false } }), app, after.placements).violations).toEqual(
      [],
    );
    for (const p of first.placements.filter((q) => q.device !== lost))
      expect(after.placements).toContainEqual(p);
  });

  it("a battery under the floor moves its web replica make-before-break", () => {
    const first = planSync(fleet(), app);
    const onBattery = first.placements.find((p) => p.device === "a1" && p.service === "web");
    expect(onBattery).toBeDefined();
    const after = planSync(fleet({ a1: { battery: { capacityWh: 30, soc: 0.25, minSoc: 0.2 } } }), app, {
      current: first.placements,
    });
    const steps = after.moves.filter((m) => m.service === "web");
    expect(steps.map((m) => [m.op, m.why])).toEqual([
      ["start", "battery"],
      ["stop", "battery"],
    ]);
    expect(steps[1]!.device).toBe("a1");
  });

  it("a small solar change stays under the hysteresis; removing a replica stops it", () => {
    const first = planSync(fleet(), app);
    const sunny = planSync(fleet({ a1: { solar: { excessW: 3.2 } } }), app, { current: first.placements });
    expect(sunny.moves).toEqual([]);
    const fewer = applicationOf({
      ...{ qos: { carbon: 0.6, energy: 0.4 } },
      services: [{ name: "db", replicas: 1, resources: { cpu: "2", memory: "2Gi" } }],
    });
    const after = planSync(fleet(), fewer, { current: first.placements });
    expect(after.moves.filter((m) => m.why === "removed").length).toBe(2);
  });

  it("a large solar change moves replicas to the sun when the gain beats the hysteresis", () => {
    const first = planSync(fleet(), app);
    const sunny = fleet({ b2: { solar: { excessW: 50 } }, a1: { solar: { excessW: 0 } } });
    const after = planSync(sunny, app, { current: first.placements });
    expect(after.moves.length).toBeGreaterThan(0);
    expect(after.moves.every((m) => m.why === "better")).toBe(true);
    expect(after.placements.some((p) => p.device === "b2")).toBe(true);
    expect(after.totals.objective).toBeLessThan(
      planSync(sunny, app, { current: first.placements, minGainFraction: 1e9 }).totals.objective,
    );
  });

  it("breaks before making only when no device has headroom, never the last replica", () => {
    const tight = inventoryOf({
      zones: [{ name: "Z", intensityGPerKWh: 100 }],
      sites: [{ name: "s", tier: "edge", region: "r", zone: "Z" }],
      devices: [
        { name: "x", site: "s", arch: "arm64", cpu: 2, memory: "2Gi", power: { idleW: 1, maxW: 20 } },
        { name: "y", site: "s", arch: "arm64", cpu: 2, memory: "2Gi", power: { idleW: 1, maxW: 3 } },
      ],
    });
    const two = applicationOf({
      qos: { energy: 1 },
      services: [{ name: "w", replicas: 2, resources: { cpu: "1", memory: "1Gi" } }],
    });
    // both run on the power-hungry x; the plan wants both on y, which has room: make-before-break
    const after = planSync(tight, two, {
      current: [0, 1].map((r) => ({ app: "app", service: "w", replica: r, device: "x" })),
      hysteresis: 0,
      migrationCost: 0,
    });
    expect(after.moves.map((m) => `${m.op} ${m.device}`)).toEqual(["start y", "stop x", "start y", "stop x"]);
  });

  it("a planner session patches its model: same candidates and filter counts as a rebuild", () => {
    const inventory = generateInventory(200, 11);
    const big = generateApplication(inventory, { devices: 200, replicas: 300, seed: 11 });
    const first = buildProblem(inventory, big);
    const changedDevices = inventory.devices.map((d, i) =>
      i % 7 === 0 ? { ...d, alive: !d.alive } : i % 11 === 0 ? { ...d, usedCpuCores: d.cpuCores } : d,
    );
    const next = { ...inventory, devices: changedDevices };
    const patched = updateProblem(first, next)!;
    const rebuilt = buildProblem(next, big, { scales: first.scales });
    expect(patched).toBeDefined();
    for (const [k, sm] of patched.services.entries()) {
      expect(new Set(sm.candidates)).toEqual(new Set(rebuilt.services[k]!.candidates));
      expect(sm.rejected).toEqual(rebuilt.services[k]!.rejected);
    }
    expect(
      updateProblem(first, { ...next, devices: next.devices.map((d) => ({ ...d, speed: d.speed + 1 })) }),
    ).toBeUndefined();
  });

  it("a session re-plans a device loss like a fresh re-plan: only the displaced replicas move", () => {
    const inventory = generateInventory(300, 13);
    const big = generateApplication(inventory, { devices: 300, replicas: 400, seed: 13 });
    const session = new Planner(big);
    const first = session.plan(inventory);
    expect(session.plan(inventory, { current: first.placements }).moves).toEqual([]);
    const lostName = first.placements[0]!.device;
    const lost = {
      ...inventory,
      devices: inventory.devices.map((d) => (d.name === lostName ? { ...d, alive: false } : d)),
    };
    const after = session.plan(lost, { current: first.placements });
    const displaced = first.placements.filter((p) => p.device === lostName).length;
    expect(after.feasible).toBe(true);
    expect(after.moves.filter((m) => m.op === "start")).toHaveLength(displaced);
    expect(after.placements.some((p) => p.device === lostName)).toBe(false);
    expect(assessPlacement(lost, big, after.placements).violations).toEqual([]);
  });
});
