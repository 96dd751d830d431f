import type { Application, Inventory } from "@qonnect/core";
import type { PlacementEntry } from "@qonnect/planner";
import { telemetryV1 } from "@qonnect/proto";

/** A loopback port per replica: on one machine every "device" shares 127.0.0.1, so replicas need their own. */
export type PortOf = (service: string, replica: number) => number;

/**
 * Turns a plan into each device's whole desired workload set (what a DeviceCommand carries). A caller reaches
 * the callee replica with the lowest site-to-site latency from the caller's device.
 */
export function workloadsByDevice(
  app: Application,
  inventory: Inventory,
  placements: readonly PlacementEntry[],
  portOf: PortOf,
  planId: string,
): Map<string, telemetryV1.WorkloadSpec[]> {
  const siteOf = new Map(inventory.devices.map((d) => [d.name, d.site]));
  const services = new Map(app.services.map((s) => [s.name, s]));
  const out = new Map<string, telemetryV1.WorkloadSpec[]>();
  for (const p of placements) {
    const service = services.get(p.service);
    if (!service) throw new Error(`plan names service ${p.service}, which ${app.name} does not have`);
    const callerSite = siteOf.get(p.device) ?? "";
    const calls = service.calls.map((call) => {
      const callees = placements.filter((q) => q.service === call.service);
      const nearest = callees.reduce<PlacementEntry | undefined>((best, q) => {
        if (!best) return q;
        const ms = (x: PlacementEntry) => inventory.latency.ms(callerSite, siteOf.get(x.device) ?? "");
        return ms(q) < ms(best) ? q : best;
      }, undefined);
      if (!nearest) throw new Error(`${p.service} calls ${call.service}, which the plan does not place`);
      return telemetryV1.ServiceAddress.create({
        service: call.service,
        host: "127.0.0.1",
        port: portOf(nearest.service, nearest.replica),
      });
    });
    const spec = telemetryV1.WorkloadSpec.create({
      app: app.name,
      service: p.service,
      replica: p.replica,
      command: service.command ?? [],
      ...(service.image ? { image: service.image } : {}),
      ports: [portOf(p.service, p.replica)],
      env: service.env,
      cpuMillis: Math.round(service.cpuCores * 1000),
      memoryBytes: service.memoryBytes,
      calls,
      plan: planId,
    });
    out.set(p.device, [...(out.get(p.device) ?? []), spec]);
  }
  return out;
}
