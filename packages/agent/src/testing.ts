// @qonnect/agent/testing — for tests and benchmarks only (the dependency check enforces it): the Kubernetes
// API stand-in the k3s runtime is tested against, and real agent processes with their config and telemetry.
export {
  AGENT_MAIN,
  type AgentProcess,
  collectTelemetry,
  ensureTelemetryStream,
  sendCommand,
  serviceWorkload,
  spawnAgent,
  storedTelemetry,
  writeAgentConfig,
} from "./testing/agent-process.js";
export { type K8sEmulator, type K8sObject, startK8sApiEmulator } from "./testing/k8s-emulator.js";
