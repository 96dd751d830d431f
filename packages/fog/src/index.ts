// @qonnect/fog — the fog lead: the region's replicated state machine, the failure detector, plan execution
// and local re-placement, and the process that wires them to Raft, NATS and gRPC.

export { type FogConfig, FogConfigError, loadFogConfig, parseFogConfig } from "./config.js";
export { desiredSets, loopbackPort, type PortPolicy, unionSets, workloadKeyOf } from "./desired.js";
export { DEFAULT_DETECTOR, type DetectorConfig, FailureDetector, type Judgement } from "./detector.js";
export { DeviceLink, fogSubjects } from "./device-link.js";
export { type ExecStep, type ExecutorOptions, type OutgoingCommand, PlanExecutor } from "./executor.js";
export { FogClient, FogUnreachableError, type MemberView } from "./fog-client.js";
export { type FogLead, startFogLead } from "./fog-lead.js";
export {
  FogIdentityError,
  type FogMethod,
  fogCallAllowed,
  fogClientCredentials,
  fogSecurity,
  guardFogService,
} from "./fog-security.js";
export { LEADER_METADATA, PLAN_VERSION_METADATA } from "./fog-service.js";
export { createFogLogger } from "./log.js";
export {
  type ApplicationRecord,
  type ContextRecord,
  compareTokens,
  type DeviceFacts,
  decodeRegionCommand,
  type ExecPhase,
  encodeRegionCommand,
  type FencingToken,
  type MoveRecord,
  type PlacementRecord,
  REGION_COMMAND_VERSION,
  type RegionCommand,
  RegionCommandDecodeError,
  type VerdictName,
  type WorkloadStateRecord,
  type ZoneSignalRecord,
} from "./region-command.js";
export {
  DEFAULT_PARTITION_GRACE_S,
  type LiveFacts,
  liveInventory,
  type RegionApp,
  type RegionModel,
  regionModel,
} from "./region-model.js";
export {
  type DeviceRecord,
  type MemberRecord,
  PLAN_ID_WINDOW,
  type PlanState,
  RECENT_MOVES,
  type RegionResult,
  RegionStateMachine,
  sortPlacements,
} from "./region-state.js";
export {
  contextToProto,
  deviceStates,
  type LiveDevice,
  regionState,
  summaryParts,
  verdictToProto,
} from "./region-view.js";
export { displacedReplicas, type ReplanInput, type ReplanResult, replanRegion } from "./replan.js";
export { type PortOf, workloadsByDevice } from "./workloads.js";
