// @qonnect/sim — virtual devices and whole federations on one machine, for the demo and the test rig.
export { type PortOf, workloadsByDevice } from "@qonnect/fog";
export { CommandRefusedError, DemoInputError, PlanInfeasibleError, UnknownDeviceError } from "./errors.js";
export { type FleetOptions, VirtualFleet } from "./fleet.js";
export { type LiveDemoOptions, type LiveDemoResult, runLiveDemo } from "./live-demo.js";
export { TelemetryMonitor } from "./telemetry-monitor.js";
