// What the simulated rig applies to its region's Knowledge Base: an Inventory of the rig's device boards
// (one site per `labels.site`, else per board) and the suite's application, two replicas of a small HTTP
// service spread over the boards with the rig's partition grace. A real rig applies the same application.
import type { Board, RigManifest } from "./rig-manifest.js";
import { HIL_APP, HIL_SERVICE } from "./rig-under-test.js";

export function inventory(rig: RigManifest, devices: Board[], region: string): Record<string, unknown> {
  const site = (b: Board) => b.labels.site ?? b.name;
  return {
    apiVersion: "qonnect.io/v1alpha1",
    kind: "Inventory",
    metadata: { name: `rig-${rig.metadata.name}` },
    spec: {
      zones: [{ name: "DE", intensityGPerKWh: 380, pricePerKWh: 0.32 }],
      sites: [...new Set(devices.map(site))].map((name) => ({ name, tier: "edge", region, zone: "DE" })),
      devices: devices.map((b) => ({
        name: b.name,
        site: site(b),
        arch: b.arch,
        cpu: 4,
        memory: "8Gi",
        power: { idleW: b.profile.idleW, maxW: b.profile.maxW },
        pricePerHour: 0,
        labels: b.labels,
      })),
    },
  };
}

/** Two replicas of a small HTTP service, spread over the device boards, with the rig's partition grace. */
export function application(rig: RigManifest, region: string): Record<string, unknown> {
  return {
    apiVersion: "qonnect.io/v1alpha1",
    kind: "Application",
    metadata: { name: HIL_APP },
    spec: {
      qos: { energy: 0.5, carbon: 0.2, cost: 0.1, performance: 0.2 },
      failover: { partitionGraceSeconds: rig.spec.limits.partitionGraceS },
      services: [
        {
          name: HIL_SERVICE,
          command: ["node", "examples/bookinfo/service.mjs"],
          ports: [9080],
          replicas: 2,
          resources: { cpu: "250m", memory: "64Mi" },
          placement: { tiers: ["edge"], regions: [region], spread: "device" },
        },
      ],
    },
  };
}
