// @qonnect/testkit — shared test helpers: real servers on free loopback ports, temp dirs. Test-only.
export {
  freePort,
  MissingBinaryError,
  type NatsServer,
  startNatsServer,
  useNatsServer,
} from "@qonnect/natsd";
export {
  KbDouble,
  type KbDoubleOptions,
  LEADER_METADATA,
  PLAN_VERSION_METADATA,
  RegionUnavailableError,
  StalePlanError,
  SummarySubscriber,
} from "./kb-double.js";
export { tempDir } from "./temp-dir.js";
