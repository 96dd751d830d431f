// @qonnect/agent — the device agent: sensors → telemetry over NATS, fenced commands, runtimes (process, k3s).
// Curated: running an agent, its config, talking to agents (commands, fencing tokens, subjects, status,
// telemetry). Runtimes, the spool and the state store are the agent's own; test support (the Kubernetes API
// stand-in, agent processes) is in `@qonnect/agent/testing`.

export { Agent, type AgentOptions } from "./agent.js";
export { CommandFileError, loadCommandFile, sendDeviceCommand } from "./command-client.js";
export { compareTokens, formatToken } from "./commands.js";
export {
  type AgentConfig,
  AgentConfigError,
  checkAgentConfig,
  loadAgentConfig,
  type PowerProfile,
  parseAgentConfig,
  type SensorSpec,
} from "./config/config.js";
export type { AgentStatus } from "./http-server.js";
export { createLogger } from "./log.js";
export { runAgent } from "./run.js";
export { workloadKey, workloadStateName } from "./runtime/runtime.js";
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
