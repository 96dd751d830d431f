// @qonnect/flash — install the device agent onto boards: over SSH (probe, plan, idempotent install, health
// gate, rollback), into a Raspberry Pi OS image (first boot), and onto a fleet at once.
export { CREDENTIAL_FILES, type DeviceConfig, loadDeviceConfig, parseDeviceConfig } from "./device-config.js";
export {
  BoardLinkError,
  BoardScriptError,
  DeviceConfigError,
  HostKeyError,
  ImageError,
  ReleaseError,
} from "./errors.js";
export {
  boardScript,
  DEFAULT_BUNDLE_DIR,
  DEFAULT_UNIT_FILE,
  FIRMWARE_SCRIPTS_DIR,
  firstrunScript,
  REPO_ROOT,
  shellQuote,
} from "./firmware-scripts.js";
export {
  BOOT_MOUNT,
  countToken,
  FIRSTRUN_TOKENS,
  withCloudInitRuncmd,
  withFirstrunTokens,
} from "./first-boot.js";
export {
  type FlashEvent,
  type FlashOptions,
  type FlashResult,
  flashOverSsh,
  stagingDir,
} from "./flash-ssh.js";
export {
  type FleetBoard,
  type FleetBoardState,
  type FleetOptions,
  type FleetOutcome,
  flashFleet,
  fleetSummary,
  formatFleetProgress,
  loadFleetInventory,
  parseFleetInventory,
} from "./fleet.js";
export {
  extractBootPartition,
  flashImage,
  type ImageOptions,
  type ImageResult,
  readBootFile,
} from "./image.js";
export { checkHostKey, type HostKeyVerdict, keyFingerprint, knownHostsLine } from "./known-hosts.js";
export { bootPartition, type MbrPartition, readMbr } from "./mbr.js";
export { BOARD_PATHS, buildPayload, dropinFor, type Payload, readUnit } from "./payload.js";
export { type FlashPlan, formatPlan, type PlanStep, planFlash } from "./plan.js";
export { type BoardFacts, parseProbe } from "./probe.js";
export { elfArch, loadRelease, type Release, type ReleaseArch, type ShippedFile, sha256 } from "./release.js";
export {
  parseSshTarget,
  type SshOptions,
  SshSession,
  type SshTarget,
  SshTargetError,
} from "./ssh-session.js";
