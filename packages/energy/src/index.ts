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
export {
  ClcBattery,
  type ClcBatteryConfig,
  type ClcCellParams,
  cellsFor,
  LG_M50_CELL,
} from "./storage/clc.js";
export { IdealBattery, type IdealBatteryConfig } from "./storage/ideal.js";
export { type KibamConfig, KineticBattery } from "./storage/kibam.js";
export { type Storage, StorageConfigError, type StorageState } from "./storage/storage.js";
