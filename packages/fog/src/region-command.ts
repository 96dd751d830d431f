// The commands of the replicated region log (the data inside a Raft `normal` entry). Every command is one JSON
// object carrying the entry format version `v` and the proposal id `id` (the proposer matches the applied
// entry to its waiting caller with it). Versioned so that members one release apart can share a log: a member
// meets a command of a newer version it does not know, skips it and counts it (DESIGN.md §12: version skew).

/** Entry format version written by this release. */
export const REGION_COMMAND_VERSION = 1;

export type VerdictName = "unspecified" | "alive" | "suspect" | "dead" | "unreachable";

export interface FencingToken {
  term: number;
  planVersion: number;
}

/** A device's static facts, from its registration. */
export interface DeviceFacts {
  name: string;
  site: string;
  tier: string;
  arch: string;
  cpuCores: number;
  memoryBytes: number;
  gpus: number;
  labels: Record<string, string>;
}

export interface PlacementRecord {
  app: string;
  service: string;
  replica: number;
  device: string;
}

export interface MoveRecord {
  planVersion: number;
  app: string;
  service: string;
  replica: number;
  fromDevice: string;
  toDevice: string;
  reason: string;
  tsMs: number;
  origin: "kb" | "local";
}

export interface ApplicationRecord {
  name: string;
  manifestJson: string;
  maxCostPerHour: number;
  maxPowerW: number;
}

export interface ZoneSignalRecord {
  zone: string;
  intensityGPerKWh: number;
  pricePerKWh: number;
  tsMs: number;
}

/** What the leader needs to re-place the region on its own (ApplyPlan's RegionContext). */
export interface ContextRecord {
  inventoryJson: string;
  applications: ApplicationRecord[];
  signals: ZoneSignalRecord[];
}

export interface WorkloadStateRecord {
  app: string;
  service: string;
  replica: number;
  /** telemetry.v1 WorkloadState number */
  state: number;
}

/** The phases of executing a plan on one device: make (old ∪ new running), then break (exactly the new set). */
export type ExecPhase = "make" | "break";

export type RegionCommand =
  | { t: "register"; device: DeviceFacts; tsMs: number }
  | { t: "verdicts"; changes: { device: string; verdict: VerdictName; reason: string }[]; tsMs: number }
  | {
      t: "plan";
      planId: string;
      basePlanVersion: number;
      origin: "kb" | "local";
      placements: PlacementRecord[];
      /** Absent: keep the context of the previous plan (a local re-plan). */
      context?: ContextRecord;
      moves: Omit<MoveRecord, "planVersion" | "origin">[];
      tsMs: number;
    }
  | {
      t: "ack";
      device: string;
      planVersion: number;
      phase: ExecPhase;
      token: FencingToken;
      accepted: boolean;
      /** The device's held token when it refused. */
      heldToken?: FencingToken;
      workloads: WorkloadStateRecord[];
      tsMs: number;
    }
  /** The make phase of `planVersion` is done everywhere reachable: from now on devices get the break set. */
  | { t: "exec"; planVersion: number; phase: ExecPhase; tsMs: number }
  | {
      t: "member";
      memberId: number;
      raftAddress: string;
      fogAddress: string;
      learner: boolean;
      remove: boolean;
    };

export type VersionedCommand = RegionCommand & { v: number; id: string };

/** An entry that is not a region command (a corrupted log or a foreign writer). */
export class RegionCommandDecodeError extends Error {
  override name = "RegionCommandDecodeError";
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeRegionCommand(id: string, cmd: RegionCommand): Uint8Array {
  return enc.encode(JSON.stringify({ v: REGION_COMMAND_VERSION, id, ...cmd }));
}

export function decodeRegionCommand(data: Uint8Array): VersionedCommand {
  let v: unknown;
  try {
    v = JSON.parse(dec.decode(data));
  } catch (err) {
    throw new RegionCommandDecodeError("region command is not valid JSON", { cause: err });
  }
  const o = v as Partial<VersionedCommand>;
  if (
    !o ||
    typeof o !== "object" ||
    typeof o.v !== "number" ||
    typeof o.id !== "string" ||
    typeof o.t !== "string"
  )
    throw new RegionCommandDecodeError("region command lacks v, id or t");
  return o as VersionedCommand;
}

/** (term, planVersion) compared lexicographically: negative when a < b. */
export function compareTokens(a: FencingToken, b: FencingToken): number {
  return a.term !== b.term ? Math.sign(a.term - b.term) : Math.sign(a.planVersion - b.planVersion);
}
