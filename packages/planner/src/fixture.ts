import {
  type Application,
  applicationSchema,
  type Inventory,
  inventorySchema,
  jobSchema,
  toApplication,
  toInventory,
} from "@qonnect/core";

// Small hand-written manifests for tests and examples: the spec part only, the header is filled in. Goes
// through core's schemas, so defaults apply exactly as for YAML.

export function inventoryOf(spec: Record<string, unknown>): Inventory {
  return toInventory(
    inventorySchema.parse({
      apiVersion: "qonnect.io/v1alpha1",
      kind: "Inventory",
      metadata: { name: "test" },
      spec,
    }),
  );
}

export function applicationOf(spec: Record<string, unknown>, name = "app"): Application {
  return toApplication(
    applicationSchema.parse({
      apiVersion: "qonnect.io/v1alpha1",
      kind: "Application",
      metadata: { name },
      spec,
    }),
  );
}

export function jobOf(spec: Record<string, unknown>, name = "job"): Application {
  return toApplication(
    jobSchema.parse({ apiVersion: "qonnect.io/v1alpha1", kind: "Job", metadata: { name }, spec }),
    () => Date.parse("2026-01-01T00:00:00Z"),
  );
}

/** One zone, one site, and the given devices (name, cpu, power...). */
export function oneSite(
  devices: Record<string, unknown>[],
  zone = { name: "Z", intensityGPerKWh: 400, pricePerKWh: 0.3 },
) {
  return inventoryOf({
    zones: [zone],
    sites: [{ name: "s", tier: "edge", region: "r", zone: zone.name }],
    devices: devices.map((d) => ({
      site: "s",
      arch: "arm64",
      cpu: 4,
      memory: "8Gi",
      power: { idleW: 2, maxW: 10 },
      ...d,
    })),
  });
}
