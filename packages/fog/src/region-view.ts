// The region as the outside sees it: the replicated state joined with the leader's live telemetry facts, in
// the wire shapes of qonnect.fog.v1 (GetRegion, WatchRegion, the NATS RegionSummary).
import { fogV1, type telemetryV1 } from "@qonnect/proto";
import type { ContextRecord, MoveRecord, PlacementRecord, VerdictName } from "./region-command.js";
import type { RegionStateMachine } from "./region-state.js";

/** What the latest telemetry of a device said (kept in memory on every member, not replicated). */
export interface LiveDevice {
  lastSeenMs: number;
  lastSeq: number;
  samplesMissed: number;
  powerW: number;
  powerSource: telemetryV1.PowerSource;
  battery: telemetryV1.Battery | undefined;
  solarExcessW: number;
  cpuUtil: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  workloads: telemetryV1.WorkloadStatus[];
  energyWh: number;
  solarEnergyWh: number;
  clockOffsetMs: number;
}

const VERDICTS: Record<VerdictName, fogV1.Verdict> = {
  unspecified: fogV1.Verdict.VERDICT_UNSPECIFIED,
  alive: fogV1.Verdict.VERDICT_ALIVE,
  suspect: fogV1.Verdict.VERDICT_SUSPECT,
  dead: fogV1.Verdict.VERDICT_DEAD,
  unreachable: fogV1.Verdict.VERDICT_UNREACHABLE,
};

export function verdictToProto(v: VerdictName): fogV1.Verdict {
  return VERDICTS[v];
}

export function placementToProto(p: PlacementRecord): fogV1.Placement {
  return { app: p.app, service: p.service, replica: p.replica, device: p.device };
}

export function moveToProto(m: MoveRecord): fogV1.PlanMove {
  return { ...m };
}

export function deviceStates(
  sm: RegionStateMachine,
  live: (d: string) => LiveDevice | undefined,
): fogV1.DeviceState[] {
  return [...sm.devices.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((d) => {
      const l = live(d.name);
      return fogV1.DeviceState.create({
        name: d.name,
        site: d.site,
        tier: d.tier,
        arch: d.arch,
        verdict: verdictToProto(d.verdict),
        verdictReason: d.verdictReason,
        lastSeenMs: l?.lastSeenMs ?? 0,
        lastSeq: l?.lastSeq ?? 0,
        samplesMissed: l?.samplesMissed ?? 0,
        powerW: l?.powerW ?? 0,
        powerSource: l?.powerSource ?? 0,
        battery: l?.battery,
        solarExcessW: l?.solarExcessW ?? 0,
        cpuUtil: l?.cpuUtil ?? 0,
        memoryUsedBytes: l?.memoryUsedBytes ?? 0,
        memoryTotalBytes: l?.memoryTotalBytes ?? 0,
        // the live report when there is one, else the states of the last acknowledgement
        workloads:
          l?.workloads ??
          d.workloads.map((w) => ({
            app: w.app,
            service: w.service,
            replica: w.replica,
            state: w.state,
            cpuCores: 0,
            memoryBytes: 0,
            restarts: 0,
            message: "",
            powerW: 0,
          })),
        ackedToken: { ...d.ackedToken },
        energyWh: l?.energyWh ?? 0,
        solarEnergyWh: l?.solarEnergyWh ?? 0,
        clockOffsetMs: l?.clockOffsetMs ?? 0,
      });
    });
}

export interface Leadership {
  leaderId: number;
  term: number;
  commitIndex: number;
  members: fogV1.Member[];
  planInProgress: boolean;
}

export function regionState(
  region: string,
  sm: RegionStateMachine,
  live: (d: string) => LiveDevice | undefined,
  lead: Leadership,
): fogV1.RegionState {
  return fogV1.RegionState.create({
    region,
    leaderId: lead.leaderId,
    term: lead.term,
    commitIndex: lead.commitIndex,
    planVersion: sm.planVersion,
    planId: sm.plan?.planId ?? "",
    placements: (sm.plan?.placements ?? []).map(placementToProto),
    devices: deviceStates(sm, live),
    members: lead.members,
    recentMoves: sm.recentMoves.map(moveToProto),
    planInProgress: lead.planInProgress,
  });
}

/** NATS payloads above this are split into numbered parts (the server's default limit is 1 MiB). */
export const SUMMARY_PART_BYTES = 512 * 1024;

/** The summary as one or more encoded parts sharing `seq`; placements and moves ride in part 1 only. */
export function summaryParts(
  state: fogV1.RegionState,
  seq: number,
  tsMs: number,
  partBytes = SUMMARY_PART_BYTES,
): Uint8Array[] {
  const groups: fogV1.DeviceState[][] = [[]];
  let size = 0;
  for (const d of state.devices) {
    const n = fogV1.DeviceState.encode(d).finish().length + 4;
    if (size + n > partBytes && groups[groups.length - 1]!.length > 0) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(d);
    size += n;
  }
  return groups.map((devices, i) =>
    fogV1.RegionSummary.encode({
      region: state.region,
      leaderId: state.leaderId,
      term: state.term,
      tsMs,
      seq,
      part: i + 1,
      parts: groups.length,
      planVersion: state.planVersion,
      planId: state.planId,
      devices,
      placements: i === 0 ? state.placements : [],
      recentMoves: i === 0 ? state.recentMoves : [],
    }).finish(),
  );
}

/** A RegionContext record in its wire form (what ApplyPlan carries). */
export function contextToProto(c: ContextRecord): fogV1.RegionContext {
  return {
    inventoryJson: c.inventoryJson,
    applications: c.applications.map((a) => ({ ...a })),
    signals: c.signals.map((s) => ({
      zone: s.zone,
      intensityGPerKwh: s.intensityGPerKWh,
      pricePerKwh: s.pricePerKWh,
      tsMs: s.tsMs,
    })),
  };
}
