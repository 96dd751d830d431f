// @qonnect/sim — virtual devices and whole federations on one machine, for the demo and the test rig.
export { type PortOf, workloadsByDevice } from "@qonnect/fog";
export { CommandRefusedError, DemoInputError, PlanInfeasibleError, UnknownDeviceError } from "./errors.js";
export { useBundledCli } from "./federation/cli-process.js";
export { LOOPBACK_PORT_BASE } from "./federation/configs.js";
export {
  type FederationDemoOptions,
  type FederationDemoResult,
  runFederationDemo,
} from "./federation/demo.js";
export { Federation, type FederationOptions, FederationStartError } from "./federation/federation.js";
export { OsProcess, pidNamespacesAvailable } from "./federation/os-process.js";
export { type DemoState, writeStateFile } from "./federation/state-file.js";
export { type FleetOptions, VirtualFleet } from "./fleet.js";
export { type LiveDemoOptions, type LiveDemoResult, runLiveDemo } from "./live-demo.js";
export { TelemetryMonitor } from "./telemetry-monitor.js";
