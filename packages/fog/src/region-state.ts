// The replicated region state machine: every member applies the same commands in log order and ends in the
// same state. Pure and deterministic: no clock (times come inside the commands, stamped by the proposer), no
// randomness, maps iterated in sorted order wherever order reaches the output. Bounded: recent moves and the
// plan-id idempotency window are capped, so a snapshot's size depends on the region, not on its history.
import type { StateMachine } from "@qonnect/raft";
import {
  type ContextRecord,
  compareTokens,
  type DeviceFacts,
  decodeRegionCommand,
  type ExecPhase,
  type FencingToken,
  type MoveRecord,
  type PlacementRecord,
  REGION_COMMAND_VERSION,
  type RegionCommand,
  RegionCommandDecodeError,
  type VerdictName,
  type WorkloadStateRecord,
} from "./region-command.js";

export interface DeviceRecord extends DeviceFacts {
  verdict: VerdictName;
  verdictReason: string;
  /** When the current verdict was reached (the proposer's clock). */
  verdictSinceMs: number;
  registeredMs: number;
  /** The highest token the device acknowledged holding. */
  ackedToken: FencingToken;
  /** Workload states from its last acknowledgement. */
  workloads: WorkloadStateRecord[];
}

export interface PlanState {
  version: number;
  planId: string;
  origin: "kb" | "local";
  placements: PlacementRecord[];
  /** The placements of the plan this one replaced (make-before-break keeps them until the break phase). */
  previous: PlacementRecord[];
  tsMs: number;
}

export interface MemberRecord {
  id: number;
  raftAddress: string;
  fogAddress: string;
  learner: boolean;
}

export type RegionResult =
  | { kind: "ok" }
  | { kind: "plan"; planVersion: number; duplicate: boolean }
  | { kind: "stale"; currentVersion: number }
  | { kind: "skipped"; reason: string };

/** How many plan ids are remembered for ApplyPlan idempotency, and how many moves are kept. */
export const PLAN_ID_WINDOW = 256;
export const RECENT_MOVES = 64;

interface Snapshot {
  v: number;
  devices: DeviceRecord[];
  plan: PlanState | undefined;
  context: ContextRecord | undefined;
  recentMoves: MoveRecord[];
  planIds: [string, number][];
  members: MemberRecord[];
  exec: { phase: ExecPhase; make: string[]; break: string[] };
  skipped: number;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class RegionStateMachine implements StateMachine<RegionResult> {
  readonly devices = new Map<string, DeviceRecord>();
  plan: PlanState | undefined;
  context: ContextRecord | undefined;
  recentMoves: MoveRecord[] = [];
  readonly members = new Map<number, MemberRecord>();
  /** Devices that acknowledged each phase of the current plan. */
  exec = { phase: "make" as ExecPhase, make: new Set<string>(), break: new Set<string>() };
  /** Commands of an unknown (newer) format version, skipped. */
  skipped = 0;
  private planIds = new Map<string, number>();
  /** Called after every applied command (the process turns these into watch events and metrics). */
  onApplied:
    | ((cmd: RegionCommand, result: RegionResult, before: { verdicts?: Map<string, VerdictName> }) => void)
    | undefined;

  get planVersion(): number {
    return this.plan?.version ?? 0;
  }

  proposalId(command: Uint8Array): string | undefined {
    try {
      return decodeRegionCommand(command).id;
    } catch {
      return undefined;
    }
  }

  apply(command: Uint8Array): { proposalId: string | undefined; result: RegionResult } {
    let cmd: ReturnType<typeof decodeRegionCommand>;
    try {
      cmd = decodeRegionCommand(command);
    } catch (err) {
      if (!(err instanceof RegionCommandDecodeError)) throw err;
      this.skipped++;
      return { proposalId: undefined, result: { kind: "skipped", reason: err.message } };
    }
    if (cmd.v > REGION_COMMAND_VERSION) {
      this.skipped++;
      return { proposalId: cmd.id, result: { kind: "skipped", reason: `entry format v${cmd.v}` } };
    }
    const before =
      cmd.t === "verdicts"
        ? {
            verdicts: new Map(
              cmd.changes.map((c) => [c.device, this.devices.get(c.device)?.verdict ?? "unspecified"]),
            ),
          }
        : {};
    const result = this.applyCommand(cmd);
    this.onApplied?.(cmd, result, before);
    return { proposalId: cmd.id, result };
  }

  applyCommand(cmd: RegionCommand): RegionResult {
    switch (cmd.t) {
      case "register": {
        const old = this.devices.get(cmd.device.name);
        this.devices.set(cmd.device.name, {
          verdict: "unspecified",
          verdictReason: "registered",
          verdictSinceMs: cmd.tsMs,
          registeredMs: cmd.tsMs,
          ackedToken: { term: 0, planVersion: 0 },
          workloads: [],
          ...old,
          ...cmd.device,
          labels: { ...cmd.device.labels },
        });
        return { kind: "ok" };
      }
      case "verdicts": {
        for (const c of cmd.changes) {
          const d = this.devices.get(c.device);
          if (!d) continue;
          if (d.verdict !== c.verdict) d.verdictSinceMs = cmd.tsMs;
          d.verdict = c.verdict;
          d.verdictReason = c.reason;
        }
        return { kind: "ok" };
      }
      case "plan":
        return this.applyPlan(cmd);
      case "ack": {
        const d = this.devices.get(cmd.device);
        if (!d) return { kind: "ok" };
        const held = cmd.accepted ? cmd.token : (cmd.heldToken ?? d.ackedToken);
        if (compareTokens(held, d.ackedToken) > 0) d.ackedToken = { ...held };
        d.workloads = cmd.workloads.map((w) => ({ ...w }));
        if (cmd.accepted && cmd.planVersion === this.planVersion) this.exec[cmd.phase].add(cmd.device);
        return { kind: "ok" };
      }
      case "exec": {
        if (cmd.planVersion === this.planVersion) this.exec.phase = cmd.phase;
        return { kind: "ok" };
      }
      case "member": {
        if (cmd.remove) this.members.delete(cmd.memberId);
        else
          this.members.set(cmd.memberId, {
            id: cmd.memberId,
            raftAddress: cmd.raftAddress,
            fogAddress: cmd.fogAddress,
            learner: cmd.learner,
          });
        return { kind: "ok" };
      }
    }
  }

  private applyPlan(cmd: Extract<RegionCommand, { t: "plan" }>): RegionResult {
    const seen = this.planIds.get(cmd.planId);
    if (seen !== undefined) return { kind: "plan", planVersion: seen, duplicate: true };
    const current = this.planVersion;
    // a plan computed from an older picture than the region's current plan is refused (the Knowledge Base
    // re-plans from GetRegion); base 0 on a region that has no plan yet is the first plan
    if (cmd.basePlanVersion !== current) return { kind: "stale", currentVersion: current };
    const version = current + 1;
    this.plan = {
      version,
      planId: cmd.planId,
      origin: cmd.origin,
      placements: sortPlacements(cmd.placements),
      previous: this.plan?.placements ?? [],
      tsMs: cmd.tsMs,
    };
    if (cmd.context) this.context = cmd.context;
    for (const m of cmd.moves) this.recentMoves.push({ ...m, planVersion: version, origin: cmd.origin });
    if (this.recentMoves.length > RECENT_MOVES) this.recentMoves = this.recentMoves.slice(-RECENT_MOVES);
    this.planIds.set(cmd.planId, version);
    if (this.planIds.size > PLAN_ID_WINDOW) this.planIds.delete(this.planIds.keys().next().value as string);
    this.exec = { phase: "make", make: new Set(), break: new Set() };
    return { kind: "plan", planVersion: version, duplicate: false };
  }

  /** The version a plan id was committed as, when it is still in the idempotency window. */
  planVersionOf(planId: string): number | undefined {
    return this.planIds.get(planId);
  }

  /** Whether `device` acknowledged `phase` of the current plan. */
  acked(device: string, phase: ExecPhase): boolean {
    return this.exec[phase].has(device);
  }

  snapshot(): Uint8Array {
    const s: Snapshot = {
      v: REGION_COMMAND_VERSION,
      devices: [...this.devices.values()].sort(byName),
      plan: this.plan,
      context: this.context,
      recentMoves: this.recentMoves,
      planIds: [...this.planIds],
      members: [...this.members.values()].sort((a, b) => a.id - b.id),
      exec: { phase: this.exec.phase, make: [...this.exec.make].sort(), break: [...this.exec.break].sort() },
      skipped: this.skipped,
    };
    return new TextEncoder().encode(JSON.stringify(s));
  }

  restore(data: Uint8Array): void {
    this.devices.clear();
    this.members.clear();
    this.plan = undefined;
    this.context = undefined;
    this.recentMoves = [];
    this.planIds = new Map();
    this.exec = { phase: "make", make: new Set(), break: new Set() };
    this.skipped = 0;
    if (data.length === 0) return;
    const s = JSON.parse(new TextDecoder().decode(data)) as Snapshot;
    for (const d of s.devices) this.devices.set(d.name, d);
    for (const m of s.members) this.members.set(m.id, m);
    this.plan = s.plan ?? undefined;
    this.context = s.context ?? undefined;
    this.recentMoves = s.recentMoves;
    this.planIds = new Map(s.planIds);
    this.exec = { phase: s.exec.phase, make: new Set(s.exec.make), break: new Set(s.exec.break) };
    this.skipped = s.skipped;
  }
}

export function sortPlacements(p: readonly PlacementRecord[]): PlacementRecord[] {
  return p
    .map((x) => ({ app: x.app, service: x.service, replica: x.replica, device: x.device }))
    .sort((a, b) =>
      a.app !== b.app
        ? a.app < b.app
          ? -1
          : 1
        : a.service !== b.service
          ? a.service < b.service
            ? -1
            : 1
          : a.replica - b.replica,
    );
}
