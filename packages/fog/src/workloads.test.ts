import { type Inventory, LatencyTable, toApplication } from "@qonnect/core";
import { describe, expect, it } from "vitest";
import { workloadsByDevice } from "./workloads.js";

const app = toApplication({
  apiVersion: "qonnect.io/v1alpha1",
  kind: "Application",
  metadata: { name: "shop" },
  spec: {
    services: [
      {
        name: "web",
        replicas: 1,
        command: ["node", "web.js"],
        resources: { cpu: "500m", memory: "64Mi" },
        calls: [{ service: "db" }],
      },
      { name: "db", replicas: 2, command: ["node", "db.js"], resources: { cpu: 1, memory: "1Gi" } },
    ],
  },
});

const device = (name: string, site: string) =>
  ({ name, site, tier: "edge", region: "r", zone: "z" }) as Inventory["devices"][number];
const inventory = {
  name: "lab",
  zones: [],
  sites: [],
  devices: [device("near", "a"), device("far", "b"), device("home", "a")],
  latency: new LatencyTable(["a", "b"], [{ from: "a", to: "b", ms: 30 }]),
} as Inventory;

describe("workloadsByDevice", () => {
  it("gives each device its whole workload set and points callers at the nearest callee replica", () => {
    const ports: Record<string, number> = { "web/0": 9001, "db/0": 9002, "db/1": 9003 };
    const sets = workloadsByDevice(
      app,
      inventory,
      [
        { app: "shop", service: "web", replica: 0, device: "home" },
        { app: "shop", service: "db", replica: 0, device: "far" },
        { app: "shop", service: "db", replica: 1, device: "near" },
      ],
      (s, r) => ports[`${s}/${r}`]!,
      "shop-v1",
    );
    const web = sets.get("home")![0]!;
    expect(web).toMatchObject({
      service: "web",
      replica: 0,
      command: ["node", "web.js"],
      ports: [9001],
      cpuMillis: 500,
      plan: "shop-v1",
    });
    expect(web.memoryBytes).toBe(64 * 2 ** 20);
    expect(web.calls).toEqual([{ service: "db", host: "127.0.0.1", port: 9003 }]);
    expect(sets.get("far")!.map((w) => w.replica)).toEqual([0]);
    expect(sets.get("near")!.map((w) => w.replica)).toEqual([1]);
  });

  it("refuses a plan whose callee is not placed", () => {
    expect(() =>
      workloadsByDevice(
        app,
        inventory,
        [{ app: "shop", service: "web", replica: 0, device: "home" }],
        () => 1,
        "v",
      ),
    ).toThrow(/web calls db, which the plan does not place/);
  });
});
