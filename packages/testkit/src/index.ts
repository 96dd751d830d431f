// @qonnect/testkit — shared test helpers: real servers on free loopback ports, temp dirs. Test-only.
export {
  freePort,
  MissingBinaryError,
  type NatsServer,
  startNatsServer,
  useNatsServer,
} from "@qonnect/natsd";
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
export { type PostgresServer, startPostgres, usePostgres } from "./postgres.js";
export { type PowerCutHarness, powerCutHarness } from "./power-cut.js";
export { tempDir } from "./temp-dir.js";
