// @qonnect/fog — the fog lead: the region's replicated state machine, the failure detector, plan execution
// and local re-placement, and the process that wires them to Raft, NATS and gRPC.

export { DEFAULT_DETECTOR, type DetectorConfig, FailureDetector, type Judgement } from "./detector.js";
export * from "./region-command.js";
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
export { type PortOf, workloadsByDevice } from "./workloads.js";
