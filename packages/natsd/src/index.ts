// @qonnect/natsd — start and stop a real nats-server process on a free loopback port (tests, the demo).

export {
  type DeploymentServer,
  defaultNatsConfigDir,
  type NatsDeployment,
  type NatsDeploymentOptions,
  type SecureNatsFiles,
  startNatsDeployment,
} from "./deployment.js";
export {
  freePort,
  listeningPort,
  MissingBinaryError,
  type NatsServer,
  startNatsServer,
  useNatsServer,
} from "./nats-server.js";
