// The smallest federation that still tells the dashboard's story: one region (eu-central), an edge site with
// a battery-and-solar board and a fog site with two mini-servers, and one application of one replica that
// either mini-server can take (so a kill -9 of its device moves it, and each decision has a runner-up).
// Shared by the federation's dashboard test and the dashboard-failover benchmark.

export const SMALL_DEVICES = ["pi5-berlin-a", "nuc-berlin-1", "nuc-berlin-2"];

/** One region, an edge site with a solar-and-battery board and a fog site with two mini-servers. */
export const SMALL_INVENTORY = `apiVersion: qonnect.io/v1alpha1
kind: Inventory
metadata: { name: berlin }
spec:
  zones:
    - { name: DE, intensityGPerKWh: 406, pricePerKWh: 0.32 }
  sites:
    - { name: berlin-edge, tier: edge, region: eu-central, zone: DE }
    - { name: berlin-fog, tier: fog, region: eu-central, zone: DE }
  latencies:
    - { from: berlin-edge, to: berlin-fog, ms: 2 }
  devices:
    - name: pi5-berlin-a
      site: berlin-edge
      arch: arm64
      cpu: 4
      memory: 8Gi
      power: { idleW: 2.7, maxW: 7.0 }
      battery: { capacityWh: 37, soc: 0.8, minSoc: 0.2 }
      solar: { excessW: 4.0 }
    - name: nuc-berlin-1
      site: berlin-fog
      arch: amd64
      cpu: 12
      memory: 32Gi
      power: { idleW: 9, maxW: 60 }
      pricePerHour: 0.02
    - name: nuc-berlin-2
      site: berlin-fog
      arch: amd64
      cpu: 12
      memory: 32Gi
      power: { idleW: 9, maxW: 60 }
      pricePerHour: 0.02
`;

/** One service, one replica, on the fog tier: two devices can take it, so each decision has a runner-up. */
export const SMALL_APP = `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata: { name: web }
spec:
  qos: { energy: 0.3, carbon: 0.4, cost: 0.2, performance: 0.1 }
  services:
    - name: front
      image: docker.io/library/node:20-slim
      command: ["node", "examples/bookinfo/service.mjs"]
      ports: [9080]
      replicas: 1
      resources: { cpu: 250m, memory: 128Mi }
      placement: { tiers: [fog], regions: [eu-central] }
`;
