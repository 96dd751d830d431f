// @qonnect/core — the domain model: manifests, quantities, normalised inventory and application models.

/** The zod that core's validator introspects; kinds defined in other packages build their schemas with it. */
export { z } from "zod";
export {
  type ApplicationManifest,
  applicationSchema,
  type JobManifest,
  jobSchema,
  type QosWeights,
  type ServiceManifest,
} from "./manifest/application.js";
export { API_VERSION, header, metadataSchema, nameSchema, TIERS, type Tier } from "./manifest/common.js";
export { type DeviceManifest, type InventoryManifest, inventorySchema } from "./manifest/inventory.js";
export { jsonSchema } from "./manifest/json-schema.js";
export {
  type ExtensionManifest,
  KIND_NAMES,
  KINDS,
  type KindDefinition,
  kindNames,
  type Manifest,
  registeredKind,
  registerKind,
} from "./manifest/kinds.js";
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
export type { ReferenceIssue } from "./manifest/references.js";
export {
  type Diagnostic,
  type ExtensionDocument,
  formatDiagnostic,
  loadManifests,
  MANIFEST_LIMITS,
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
export { mulberry32 } from "./random.js";
export { closest, didYouMean, editDistance } from "./suggest.js";
