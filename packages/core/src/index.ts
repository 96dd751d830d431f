// @qonnect/core — the domain model: manifests, quantities, normalised inventory and application models.

export {
  type ApplicationManifest,
  applicationSchema,
  type JobManifest,
  jobSchema,
  type QosWeights,
  type ServiceManifest,
} from "./manifest/application.js";
export { API_VERSION, TIERS, type Tier } from "./manifest/common.js";
export { type DeviceManifest, type InventoryManifest, inventorySchema } from "./manifest/inventory.js";
export { jsonSchema } from "./manifest/json-schema.js";
export { KIND_NAMES, KINDS, type Manifest } from "./manifest/kinds.js";
export {
  type Application,
  type Battery,
  type Device,
  type Inventory,
  LatencyTable,
  normaliseWeights,
  OBJECTIVES,
  type Objective,
  type Placement,
  type Service,
  type Site,
  toApplication,
  toInventory,
  type Weights,
  type Zone,
} from "./manifest/model.js";
export {
  type Diagnostic,
  formatDiagnostic,
  loadManifests,
  ManifestError,
  ManifestFileError,
  type ValidationResult,
  type ValidDocument,
  validateFile,
  validateText,
} from "./manifest/validate.js";
export {
  CPU_FORM,
  DURATION_FORM,
  formatCpuCores,
  formatMemoryBytes,
  MEMORY_FORM,
  parseCpuCores,
  parseDurationMs,
  parseMemoryBytes,
  QuantityError,
} from "./quantity.js";
export { closest, didYouMean, editDistance } from "./suggest.js";
