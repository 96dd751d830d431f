// @qonnect/testkit — shared test helpers: real servers on free loopback ports, temp dirs. Test-only.
export {
  freePort,
  MissingBinaryError,
  type NatsServer,
  startNatsServer,
  useNatsServer,
} from "@qonnect/natsd";
export { type PowerCutHarness, powerCutHarness } from "./power-cut.js";
export { tempDir } from "./temp-dir.js";
