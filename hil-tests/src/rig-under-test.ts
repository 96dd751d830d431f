// What the suite sees of a rig, real or simulated: the boards, each board's power switch, meter and network
// control where the rig has them, the region's telemetry, the fog leads' view, and a way to ask a workload
// whether it answers. The suite never asks which kind of rig it runs on.
import type { fogV1, telemetryV1 } from "@qonnect/proto";
import type { Meter } from "./meter.js";
import type { NetworkControl } from "./network-control.js";
import type { PowerSwitch } from "./relay.js";
import type { Board, RigManifest } from "./rig-manifest.js";
import type { TelemetryLog } from "./telemetry-log.js";

/** The application the suite places on the rig's device boards (two replicas, one per board). */
export const HIL_APP = "hil-echo";
export const HIL_SERVICE = "echo";

export interface RigUnderTest {
  readonly manifest: RigManifest;
  readonly region: string;
  /** Device boards selected for this run (labels). */
  readonly devices: Board[];
  /** Boards that run the region's fog leads. */
  readonly fogBoards: Board[];
  readonly telemetry: TelemetryLog;
  power(board: string): PowerSwitch | undefined;
  meter(board: string): Meter | undefined;
  network(board: string): NetworkControl | undefined;
  /** The region as its fog leads see it (the freshest live member's view). */
  regionState(): Promise<fogV1.RegionState | undefined>;
  /** The fog board that runs the fog lead with this member id. */
  fogBoardOf(memberId: number): Board | undefined;
  /** True when the replica's port on `board` answers HTTP 200. */
  answers(board: string, port: number): Promise<boolean>;
  /** The port replica `replica` of the suite's service listens on. */
  replicaPort(replica: number): number;
  /** A raw command to a board's agent over the region's NATS. */
  command(board: string, command: telemetryV1.DeviceCommand): Promise<telemetryV1.CommandAck>;
  stop(): Promise<void>;
}
