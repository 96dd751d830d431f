// @qonnect/energy — public API: power sensors, power and battery models, signals, microgrid co-simulation.

// models, signals, microgrid
export { type Attribution, type AttributionInput, attributePower, type WorkloadCpu } from "./attribution.js";
export { type GpuPowerModel, gpuPowerW } from "./gpu-model.js";
export {
  type CalibrationOptions,
  linearPowerModel,
  marginalPowerW,
  PowerCalibrator,
  type PowerModel,
  powerW,
} from "./power-model.js";
