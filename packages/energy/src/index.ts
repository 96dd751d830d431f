// @qonnect/energy — public API: power sensors, power and battery models, signals, microgrid co-simulation.
// Curated: what other packages use or plausibly will (the fog lead, the Knowledge Base). Register-level INA219
// details (register map, byte order, calibration arithmetic) and parsing helpers stay inside the package.
// Fixture sysfs trees of real boards, for other packages' tests: `@qonnect/energy/testing`.

// models, signals, microgrid
export { Actor, type ActorConfig, type ActorKind, type ActorState } from "./actor.js";
export { type Attribution, type AttributionInput, attributePower, type WorkloadCpu } from "./attribution.js";
export {
  DEFAULT_LIFETIMES,
  EMBODIED_KG,
  type Equipment,
  embodiedEmissionsG,
  type Lifetimes,
} from "./embodied.js";
export { type GpuPowerModel, gpuPowerW } from "./gpu-model.js";
export { Grid, type GridConfig, type GridExchange, type GridSettlement } from "./grid.js";
export { Microgrid, type MicrogridConfig, type MicrogridTotals, type StepRecord } from "./microgrid.js";
export {
  MICROGRID_KIND,
  type MicrogridManifest,
  microgridSchema,
  parseMicrogridManifest,
  registerMicrogridKind,
} from "./microgrid-manifest.js";
export {
  CarbonThresholdPolicy,
  DefaultPolicy,
  type DispatchContext,
  type DispatchPolicy,
  ExcessFirstPolicy,
  POLICY_NAMES,
  type PolicyName,
} from "./policy.js";
export {
  type CalibrationOptions,
  linearPowerModel,
  marginalPowerW,
  PowerCalibrator,
  type PowerModel,
  powerW,
} from "./power-model.js";
export {
  buildScenario,
  type Scenario,
  ScenarioError,
  type ScenarioOptions,
  type ScenarioOverrides,
} from "./scenario.js";
export {
  type BatteryScenarioConfig,
  type BatteryTruth,
  batteryScenario,
} from "./sensors/battery-scenario.js";
export {
  type BatterySample,
  type SocEstimate,
  SocEstimator,
  type SocEstimatorConfig,
  socFromOcv,
} from "./sensors/battery-soc.js";
export { type DetectOptions, detectSensors, type SensorDetection } from "./sensors/detect.js";
export {
  type BoardState,
  EmulatedBoard,
  type EmulatedBoardBattery,
  type EmulatedBoardConfig,
} from "./sensors/emulated-board.js";
export { createEmulatedRig, type EmulatedRig } from "./sensors/emulated-sensors.js";
// sensors
export {
  I2cTransferError,
  I2cUnavailableError,
  SensorConfigError,
  SensorError,
  SensorNotFoundError,
  SensorTimeoutError,
  SysfsReadError,
} from "./sensors/errors.js";
export { type HwmonDevice, listHwmon } from "./sensors/hwmon.js";
export { findHwmonIna2xx, HwmonIna2xxSensor } from "./sensors/hwmon-ina2xx.js";
export { type I2cBus, openI2cBus } from "./sensors/i2c-bus.js";
export { Ina219, type Ina219AdcChoice, type Ina219Options, type Ina219Resolution } from "./sensors/ina219.js";
export {
  constantScenario,
  Ina219Emulator,
  type Ina219EmulatorOptions,
  type Ina219Scenario,
  type Ina219Truth,
} from "./sensors/ina219-emulator.js";
export { findIna3221Hwmon, Ina3221HwmonChannel } from "./sensors/ina3221-hwmon.js";
export { findIna3221Iio, Ina3221IioChannel } from "./sensors/ina3221-iio.js";
export { findPowerSupplies, PowerSupplySensor } from "./sensors/power-supply.js";
export type { BatteryStatus, InvalidReason, Sensor, SensorKind, SensorReading } from "./sensors/sensor.js";
export {
  UpsHat,
  type UpsHatOptions,
  type UpsHatPreset,
  WAVESHARE_UPS_HAT,
  WAVESHARE_UPS_HAT_C,
} from "./sensors/ups-hat.js";
export { type I2cTarget, VirtualI2cBus, type VirtualI2cBusOptions } from "./sensors/virtual-i2c-bus.js";
export {
  type ForecastIssue,
  type ForecastPoint,
  ForecastSignal,
  forecastFromTrace,
} from "./signal/forecast.js";
export {
  type IntensityTrace,
  loadElectricityMapsCsv,
  loadTraceCsv,
  loadUkCarbonIntensityJson,
  loadVessimCsv,
  loadWattTimeJson,
} from "./signal/loaders.js";
export {
  ExcessPowerSignal,
  type IntensityBasis,
  ScaledSignal,
  type Signal,
  SignalError,
  StaticSignal,
} from "./signal/signal.js";
export { type TraceOptions, TraceSignal } from "./signal/trace.js";
export { type SizingPoint, sizeMicrogrid } from "./sizing.js";
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
export { vessimCsvHeader, vessimCsvRow, vessimMetadata } from "./vessim-export.js";
