import { randomBytes } from "node:crypto";
import { fogV1 } from "@qonnect/proto";
import { type FogDouble, startFogDouble, useNatsServer } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { appYaml, startTestKb, type TestKb } from "../testdata/harness.js";

// The planning loop against the FogLead contract double (packages/testkit/src/fog-double.ts): real gRPC
// servers and real NATS, the fog side stood in for until the real fog leads meet the Knowledge Base in sim.
const tag = randomBytes(3).toString("hex");
const C = `central-${tag}`;
const W = `west-${tag}`;

const inventory = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata:
  name: lab
spec:
  zones:
    - { name: DE, intensityGPerKWh: 380, pricePerKWh: 0.3 }
    - { name: FR, intensityGPerKWh: 60, pricePerKWh: 0.2 }
  sites:
    - { name: berlin, tier: edge, region: ${C}, zone: DE }
    - { name: paris, tier: edge, region: ${W}, zone: FR }
  latencies:
    - { from: berlin, to: paris, ms: 15 }
  devices:
    - { name: pi-b1, site: berlin, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-b2, site: berlin, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-b3, site: berlin, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-p1, site: paris, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
    - { name: pi-p2, site: paris, arch: arm64, cpu: 4, memory: 4Gi, power: { idleW: 3, maxW: 8 } }
`;
const region = (name: string, leads: string[]) =>
  `apiVersion: qonnect.io/v1alpha1\nkind: Region\nmetadata:\n  name: ${name}\nspec:\n  fogLeads: [${leads.map((l) => `"${l}"`).join(", ")}]\n`;
const signal = (zone: string, value: number) =>
  `apiVersion: qonnect.io/v1alpha1\nkind: Signal\nmetadata:\n  name: ${zone.toLowerCase()}-intensity\nspec:\n  zone: ${zone}\n  quantity: intensity\n  source: constant\n  value: ${value}\n`;

const pinned = (name: string, replicas: number) =>
  appYaml(name, replicas).replace(
    "placement: { spread: device }",
    `placement: { spread: device, regions: [${C}] }`,
  );
const lastPlan = (d: FogDouble) => d.applied.filter((a) => !a.duplicate).at(-1)?.request;
const devicesOf = (d: FogDouble, app: string) =>
  (lastPlan(d)?.placements ?? [])
    .filter((p) => p.app === app)
    .map((p) => p.device)
    .sort();
const until = (fn: () => unknown) => vi.waitFor(fn, { timeout: 20_000, interval: 50 });

describe("planning loop against the fog lead contract double (real gRPC, real NATS)", () => {
  let nats: { url: string; stop(): Promise<void> };
  let central: FogDouble;
  let west: FogDouble;
  let t: TestKb;
  const reasons = async () =>
    (await t.client(t.tokens.viewer).listEvents({ pageSize: 1000 })).events.map((e) => e.reason);

  beforeAll(async () => {
    nats = await useNatsServer();
    central = await startFogDouble({ region: C, members: 3, leader: 1, natsUrl: nats.url });
    west = await startFogDouble({ region: W, natsUrl: nats.url });
    for (const [d, names] of [
      [central, ["pi-b1", "pi-b2", "pi-b3"]],
      [west, ["pi-p1", "pi-p2"]],
    ] as const)
      for (const name of names)
        d.setDevice({ name, site: d === central ? "berlin" : "paris", tier: "edge", arch: "arm64" });
    t = await startTestKb("sqlite", {
      nats: [nats.url],
      planning: { debounceMs: 10, retryMs: 200, tickMs: 100 },
      summaries: { deviceWriteMs: 0, sampleEveryMs: 0, flushMs: 100 },
    });
    const admin = t.client(t.tokens.admin);
    // only a follower's address is known for the central region: the leader hint must be followed
    await admin.apply(region(C, [central.addresses[0]!]));
    await admin.apply(region(W, west.addresses));
    await admin.apply(inventory);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await central?.stop();
    await west?.stop();
    await nats?.stop();
  });

  it("plans an applied application and sends each region its part through its leader, with context and explanation", async () => {
    await t.client(t.tokens.operator).apply(appYaml("web", 2));
    await until(() => expect(devicesOf(west, "web")).toEqual(["pi-p1", "pi-p2"]));
    const req = lastPlan(west)!;
    expect(req.context?.applications.map((a) => a.name)).toEqual(["web"]);
    expect(JSON.parse(req.context!.inventoryJson).spec.devices.map((d: { name: string }) => d.name)).toEqual([
      "pi-p1",
      "pi-p2",
    ]);
    expect(req.moves.filter((m) => m.toDevice).length).toBe(2);
    // the central region got its (empty) plan through the leader, after a follower's UNAVAILABLE hint
    await until(() => expect(central.applied.length).toBeGreaterThan(0));
    expect(central.refused.some((r) => r.code === 14 && r.member === 0)).toBe(true);
    const p = await t.client(t.tokens.viewer).get("placements/web");
    expect(p.resource?.spec?.explanation?.replicas).toHaveLength(2);
    const app = await t.client(t.tokens.viewer).get("applications/web");
    expect(app.resource?.status).toMatchObject({ phase: "Placed", placed: 2 });
  });

  it("builds the live inventory and accounting from summaries (in parts), and serves a device's series", async () => {
    for (const [i, name] of ["pi-p1", "pi-p2"].entries())
      west.setDevice({ name, powerW: 5, energyWh: 10 + i, solarEnergyWh: 0, lastSeenMs: Date.now() });
    await west.publishSummary(2);
    await until(async () =>
      expect((await t.client(t.tokens.viewer).list({ collection: "devices" })).resources.length).toBe(2),
    );
    for (const [i, name] of ["pi-p1", "pi-p2"].entries())
      west.setDevice({
        name,
        energyWh: 110 + i,
        solarEnergyWh: 50,
        solarExcessW: 1.5,
        memoryUsedBytes: 1 << 30,
        memoryTotalBytes: 4 * 2 ** 30,
      });
    await west.publishSummary(2);
    await t.kb.summaries!.idle();
    await until(async () => {
      const d = (await t.client(t.tokens.viewer).get("devices/pi-p1")).resource!;
      expect(d.status?.energyWh).toBeCloseTo(100);
      // 50 Wh of the 100 from the grid at 60 g/kWh
      expect(d.status?.carbonG).toBeCloseTo(3);
      // what the devices table shows beside power: memory in use of the total
      expect(d.status).toMatchObject({ memoryUsedBytes: 1 << 30, memoryTotalBytes: 4 * 2 ** 30 });
    });
    await until(async () => {
      const app = (await t.client(t.tokens.viewer).get("applications/web")).resource!;
      expect(app.status?.accounting?.energyWh).toBeCloseTo(200);
      expect(app.status?.accounting?.carbonG).toBeCloseTo(6);
    });
    const r = await t.http("/api/v1/devices/pi-p1/series?from=0", { token: t.tokens.viewer });
    const body = (await r.json()) as { samples: { energyWh: number; solarExcessW: number }[] };
    expect(body.samples.map((s) => s.energyWh)).toEqual([0, 100]);
    // each sample keeps the solar excess its summary reported (the device page's solar history)
    expect(body.samples.map((s) => s.solarExcessW)).toEqual([0, 1.5]);
    // and the sun goes again, so that the tests below plan without it
    for (const name of ["pi-p1", "pi-p2"]) west.setDevice({ name, solarExcessW: 0 });
    await west.publishSummary();
    await t.kb.summaries!.idle();
  });

  it("moves replicas off a device the region reports dead", async () => {
    west.setDevice({
      name: "pi-p1",
      verdict: fogV1.Verdict.VERDICT_DEAD,
      verdictReason: "connection closed",
    });
    await west.publishSummary();
    await until(() => expect(devicesOf(west, "web")).toEqual(["pi-p2"]));
    await until(() => expect(devicesOf(central, "web")).toHaveLength(1));
    expect(await reasons()).toEqual(expect.arrayContaining(["DeviceDead", "Moved"]));
  });

  it("moves work when a carbon signal flips", async () => {
    await t.client(t.tokens.operator).apply(signal("FR", 900));
    await until(() => expect(devicesOf(central, "web")).toHaveLength(2));
    await until(() => expect(devicesOf(west, "web")).toEqual([]));
  });

  it("keeps trying an unreachable region and catches it up when it is back", async () => {
    await west.pause();
    await t.client(t.tokens.operator).apply(signal("FR", 10));
    await until(async () => expect(await reasons()).toContain("RegionUnreachable"));
    await west.resume();
    await until(async () => expect(await reasons()).toContain("RegionReachable"));
    await until(() => expect(devicesOf(west, "web")).toEqual(["pi-p2"]));
  });

  it("reconciles a region that re-planned locally: adopts its placement and re-plans from its version", async () => {
    const before = lastPlan(central)!;
    const local = before.placements.map((p) => ({ ...p, device: p.device === "pi-b3" ? "pi-b1" : "pi-b3" }));
    const version = central.localReplan(local, "kb away");
    // the Knowledge Base does not see the summary: its next plan is refused (FAILED_PRECONDITION)
    await t.client(t.tokens.operator).apply(pinned("api", 1));
    await until(() => expect(central.refused.some((r) => r.code === 9)).toBe(true));
    await until(() => expect(lastPlan(central)!.basePlanVersion).toBe(version));
    expect(await reasons()).toEqual(expect.arrayContaining(["PlanRefused", "Reconciled"]));
    // a local re-plan seen in a summary is adopted the same way
    const v2 = central.localReplan(
      lastPlan(central)!.placements.map((p) => ({ ...p })),
      "again",
    );
    await central.publishSummary();
    await t.kb.summaries!.idle();
    await t.client(t.tokens.operator).apply(pinned("api", 2));
    await until(() => expect(lastPlan(central)!.basePlanVersion).toBeGreaterThanOrEqual(v2));
  });

  it("chooses a job's start time from the carbon forecast and reports the carbon saved", async () => {
    const csv = ["time,value", "0,900", "3600,900", "7200,20", "10800,20", "14400,900"].join("\\n");
    await t
      .client(t.tokens.operator)
      .apply(
        `apiVersion: qonnect.io/v1alpha1\nkind: Signal\nmetadata:\n  name: de-forecast\nspec:\n  zone: DE\n  quantity: intensity\n  source: forecast\n  trace: { format: csv, data: "${csv}", anchor: true }\n`,
      );
    await t.client(t.tokens.operator).apply(`apiVersion: qonnect.io/v1alpha1
kind: Job
metadata:
  name: batch
spec:
  durationMinutes: 60
  deadline: 5h
  services:
    - name: work
      replicas: 1
      resources: { cpu: 1, memory: 256Mi }
      placement: { regions: [${C}] }
`);
    await until(async () => {
      const job = (await t.client(t.tokens.viewer).get("jobs/batch")).resource!;
      expect(job.status?.phase).toBe("Waiting");
      expect(job.status?.carbonSavedG).toBeGreaterThan(0);
      expect(job.status!.startMs - job.metadata!.createTimeMs).toBeGreaterThanOrEqual(7_000_000);
      // every start considered, with the run's carbon by the forecast: the dashboard draws the window from it
      const options = job.status!.startOptions as { startMs: number; carbonG: number; feasible: boolean }[];
      expect(options.length).toBeGreaterThan(2);
      const chosen = options.find((o) => o.startMs === job.status!.startMs);
      expect(chosen?.carbonG).toBeCloseTo(job.status!.carbonG);
      expect(Math.max(...options.map((o) => o.carbonG))).toBeGreaterThan(chosen!.carbonG);
    });
    const placement = (await t.client(t.tokens.viewer).get("placements/batch")).resource;
    expect(placement?.spec?.job?.startOptions).toBeUndefined();
  });
});
