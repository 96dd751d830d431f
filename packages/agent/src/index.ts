// @qonnect/agent — the device agent: sensors → telemetry over NATS, fenced commands, runtimes (process, k3s).

export { Agent, type AgentOptions } from "./agent.js";
export { CommandFileError, loadCommandFile, sendDeviceCommand } from "./command-client.js";
export { CommandHandler, compareTokens, formatToken, MalformedCommandError } from "./commands.js";
export {
  type AgentConfig,
  AgentConfigError,
  loadAgentConfig,
  type PowerProfile,
  parseAgentConfig,
  type SensorSpec,
} from "./config/config.js";
export type { AgentStatus } from "./http-server.js";
export { createLogger } from "./log.js";
export { runAgent } from "./run.js";
export { type K8sEmulator, type K8sObject, startK8sApiEmulator } from "./runtime/k8s-emulator.js";
export { ProcessRuntime, type ProcessRuntimeOptions, workloadEnv } from "./runtime/process.js";
export { type Runtime, RuntimeError, workloadKey, workloadStateName } from "./runtime/runtime.js";
export type { AgentSensor, AgentSensorReading, SensorSet } from "./sensors/sensor.js";
export { Spool } from "./spool.js";
export { type AgentState, StateFileError, StateStore } from "./state-store.js";
export { AgentUnreachableError, fetchAgentStatus, formatAgentStatus } from "./status-client.js";
export { subjects } from "./telemetry/subjects.js";
export {
  formatTelemetryLine,
  formatWatched,
  telemetryJson,
  type WatchedMessage,
  type WatchOptions,
  watchedJson,
  watchTelemetry,
} from "./telemetry/watch.js";
export { AGENT_VERSION } from "./version.js";
