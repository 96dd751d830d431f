// The desired workload set of every device under a plan: the placements turned into WorkloadSpecs (what a
// DeviceCommand carries) with the application manifests of the region context.
import { type Inventory, LatencyTable } from "@qonnect/core";
import type { telemetryV1 } from "@qonnect/proto";
import type { PlacementRecord } from "./region-command.js";
import type { RegionModel } from "./region-model.js";
import { workloadsByDevice } from "./workloads.js";

export interface PortPolicy {
  /**
   * Every "device" of a test or demo shares 127.0.0.1, so each replica needs its own port: base + a stable
   * slot per (app, service) × 16 + replica. Without it a replica gets its service's first declared port.
   */
  loopbackPortBase?: number;
}

function slot(app: string, service: string): number {
  let h = 0x811c9dc5;
  const text = `${app}/${service}`;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h % 1000;
}

/** The port of a replica under `loopbackPortBase` (see PortPolicy). */
export function loopbackPort(base: number, app: string, service: string, replica: number): number {
  return base + slot(app, service) * 16 + replica;
}

const EMPTY_INVENTORY: Inventory = {
  name: "none",
  zones: [],
  sites: [],
  devices: [],
  latency: new LatencyTable([], []),
};

export function workloadKeyOf(w: { app: string; service: string; replica: number }): string {
  return `${w.app}/${w.service}/${w.replica}`;
}

/** device → its whole desired workload set; placements of unknown applications are reported, not thrown. */
export function desiredSets(
  model: RegionModel,
  placements: readonly PlacementRecord[],
  planId: string,
  ports: PortPolicy,
): { sets: Map<string, telemetryV1.WorkloadSpec[]>; problems: string[] } {
  const sets = new Map<string, telemetryV1.WorkloadSpec[]>();
  const problems: string[] = [];
  const apps = [...new Set(placements.map((p) => p.app))].sort();
  for (const name of apps) {
    const ra = model.apps.get(name);
    if (!ra) {
      problems.push(`plan places ${name}, which the region context does not describe`);
      continue;
    }
    const portOf = (service: string, replica: number) => {
      if (ports.loopbackPortBase !== undefined)
        return loopbackPort(ports.loopbackPortBase, name, service, replica);
      return ra.app.services.find((s) => s.name === service)?.ports[0] ?? 0;
    };
    try {
      const byDevice = workloadsByDevice(
        ra.app,
        model.inventory ?? EMPTY_INVENTORY,
        placements.filter((p) => p.app === name),
        portOf,
        planId,
      );
      for (const [device, specs] of byDevice) sets.set(device, [...(sets.get(device) ?? []), ...specs]);
    } catch (err) {
      problems.push(`application ${name}: ${(err as Error).message}`);
    }
  }
  return { sets, problems };
}

/** `a` with the workloads of `b` it lacks (make-before-break: the old set and the new one together). */
export function unionSets(
  a: readonly telemetryV1.WorkloadSpec[],
  b: readonly telemetryV1.WorkloadSpec[],
): telemetryV1.WorkloadSpec[] {
  const keys = new Set(a.map(workloadKeyOf));
  return [...a, ...b.filter((w) => !keys.has(workloadKeyOf(w)))];
}
