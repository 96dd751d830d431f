// @qonnect/raft — public API. The pure core (RawNode and its data), the Storage contract with its in-memory
// implementation, the deterministic whole-cluster simulation, the driver, the WAL and the gRPC transport.
// Test support (the Storage suite, process clusters) is in `@qonnect/raft/testing`.
export { AlreadyBootstrappedError, bootstrap } from "./bootstrap.js";
export {
  applyConfChange,
  type ConfChange,
  ConfChangeDecodeError,
  type ConfChangeType,
  decodeConfChange,
  encodeConfChange,
} from "./conf-change.js";
export type { RaftConfig } from "./config.js";
export type { ConfState, Entry, EntryType, HardState, Snapshot, SnapshotMeta } from "./entry.js";
export { EMPTY_HARD_STATE } from "./entry.js";
export { ProposalDroppedError, RaftConfigError } from "./errors.js";
export { MemoryStorage } from "./memory-storage.js";
export type { Message, MessageType } from "./message.js";
export type { ProgressState } from "./progress.js";
export type { Role } from "./raft.js";
export { type RandomSource, SeededRandom } from "./random.js";
export type { PeerStatus, Ready, SoftState, Status } from "./raw-node.js";
export { RawNode } from "./raw-node.js";
export type { ReadState } from "./read-only.js";
// The driver and the replicated key-value harness (`qonnect dev raft-kv`).
export { BatchDecodeError, decodeBatch, encodeBatch } from "./server/batch.js";
export { type DriverLogger, RaftDriver, type RaftDriverOptions, type StateMachine } from "./server/driver.js";
export {
  DriverStoppedError,
  NotLeaderError,
  OutcomeUnknownError,
  OverloadedError,
  ProposalLostError,
  ReadTimeoutError,
} from "./server/errors.js";
export {
  KvClient,
  type KvClientOptions,
  KvOutcomeUnknownError,
  KvUnavailableError,
} from "./server/kv-client.js";
export {
  EmptyDataDirError,
  type KvNode,
  type KvNodeOptions,
  startKvNode,
  TimingConfigError,
} from "./server/kv-node.js";
export { KvApplication, kvService } from "./server/kv-service.js";
export { type KvCommand, type KvResult, KvStateMachine } from "./server/kv-state-machine.js";
export type { Violation } from "./sim/invariants.js";
export {
  checkLinearizable,
  type HistoryOp,
  type KvInput,
  type KvOutput,
  type LinearizabilityResult,
} from "./sim/linearizability.js";
export {
  runSeed,
  runSimulation,
  type SeedOutcome,
  type SimulationOptions,
  type SimulationResult,
} from "./sim/run.js";
export { CompactedError, type Storage, UnavailableError } from "./storage.js";
export { StorageOrderError } from "./stored-log.js";
// The gRPC transport between peers, and its wire codec (the attack suite forges messages with it).
export { MessageDecodeError, messageFromProto, messageToProto } from "./transport/codec.js";
export {
  channelOptions,
  GrpcTransport,
  type GrpcTransportOptions,
  serverOptions,
} from "./transport/grpc-transport.js";
export type { BackoffOptions } from "./transport/peer-stream.js";
export {
  insecureSecurity,
  qonnectMemberId,
  type TlsPem,
  type TransportSecurity,
  tlsSecurity,
  tlsSecurityFromFiles,
} from "./transport/security.js";
export {
  clusterName,
  type MessageHandler,
  PeerConfigError,
  type PeerStats,
  parsePeers,
  type Transport,
} from "./transport/transport.js";
// Durable storage: the segmented write-ahead log with snapshot files.
export {
  SnapshotCorruptionError,
  SnapshotMissingError,
  WalCorruptionError,
  WalInconsistencyError,
  WalLockedError,
  WalWriteError,
} from "./wal/errors.js";
export { type WalOptions, type WalRecovery, WalStorage } from "./wal/wal-storage.js";
