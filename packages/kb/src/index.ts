// @qonnect/kb — the Knowledge Base: store (SQLite, PostgreSQL), the control API over gRPC and REST,
// bearer tokens with roles, the planning loop and accounting. `qonnect kb serve` wires it up.
export { atLeast, type CreatedToken, createToken, isRole, type Principal } from "./api/auth.js";
export { type ApiCode, ApiError, type Problem } from "./api/errors.js";
export { DEFAULT_NAMESPACE, formatName, parseName } from "./api/names.js";
export { type ApiObject, toApiObject } from "./api/resource-json.js";
export { KbClient, KbClientError, type KbClientOptions } from "./client/kb-client.js";
export { COLLECTIONS, KIND_TABLE, type KindInfo, kindInfo, registerKbKinds } from "./kinds.js";
export { TelemetryRetentionError } from "./region/telemetry-retention.js";
export { runKbServe } from "./run.js";
export {
  type KbServer,
  type KbServerOptions,
  startKbServer,
  TlsConfigError,
  type TlsFiles,
} from "./server.js";
export {
  BackupFormatError,
  type BackupInfo,
  RestoreTargetNotEmptyError,
} from "./store/backup.js";
export { openStore } from "./store/open.js";
export { ROLES, type Role, type Store, type StoredResource } from "./store/store.js";
