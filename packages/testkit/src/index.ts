// @qonnect/testkit — the helpers tests share, one copy each. Test-only (tests, benchmarks, /testing entries):
// real nats-servers that pick their own loopback port and show their log when a test fails, PostgreSQL, temp
// dirs that clean up after each test, one waitFor, a manual clock, fake sysfs trees, private networks of
// namespaces, the CLI bundled for process tests, contract doubles of the fog lead and the Knowledge Base.
// Seeded random numbers come from @qonnect/core's mulberry32.
export {
  freePort,
  listeningPort,
  MissingBinaryError,
  type NatsDeployment,
  type NatsServer,
  startNatsDeployment,
} from "@qonnect/natsd";
export { argValue, benchEnv, percentile, round, table } from "./bench-report.js";
export { bundleCli, REPO_ROOT } from "./bundle-cli.js";
export { type FogDouble, type FogDoubleOptions, startFogDouble } from "./fog-double.js";
export {
  KbDouble,
  type KbDoubleOptions,
  LEADER_METADATA,
  PLAN_VERSION_METADATA,
  RegionUnavailableError,
  StalePlanError,
  SummarySubscriber,
} from "./kb-double.js";
export { ManualClock } from "./manual-clock.js";
export { startNatsServer, useNatsServer } from "./nats.js";
export { CLIENT_ID, createPrivateNet, NetnsUnavailableError, type PrivateNet } from "./netns.js";
export { type PostgresServer, startPostgres, usePostgres } from "./postgres.js";
export { type PowerCutHarness, powerCutHarness } from "./power-cut.js";
export { alive } from "./process.js";
export { type SysfsAttrs, SysfsTree } from "./sysfs-tree.js";
export { tempDir, useTempDirs } from "./temp-dir.js";
export { type WaitOptions, waitFor } from "./wait-for.js";
