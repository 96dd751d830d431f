// @qonnect/pki — the deployment's CA, enrolment bundles, NATS decentralised auth, mTLS credentials and
// revocation (DESIGN.md §10). Used by the CLI (`qonnect pki|enroll|revoke`), the agent, fog leads and the
// Knowledge Base.
export { writeFileAtomic } from "./atomic-file.js";
export { type Bundle, BundleError, loadBundle } from "./bundle.js";
export { bundleFiles } from "./bundle-files.js";
export { CLOCK_SKEW_MS, createCa, createCrl, type IssuedPem, issueLeaf } from "./certificate.js";
export { type Endpoints, type EnrollOptions, enroll } from "./enroll.js";
export {
  authorizePeer,
  type CallWithAuth,
  grpcClientCredentials,
  grpcServerCredentials,
  MutualTlsServerCredentials,
  PeerAuthError,
  peerIdentity,
} from "./grpc-credentials.js";
export {
  checkIdentity,
  type Identity,
  IdentityError,
  identityFromCertificate,
  identityFromSubjectAltName,
  NAME_PATTERN,
  parseSpiffeUri,
  ROLES,
  type Role,
  spiffeUri,
} from "./identity.js";
export {
  ACCOUNT_LIMITS,
  accountJwts,
  leafnodeLinkCreds,
  type NatsKeys,
  newNatsKeys,
  userCreds,
} from "./nats-auth.js";
export { type NatsServerConfigOptions, natsConnectOptions, natsServerConfig } from "./nats-config.js";
export { enrollNatsDeployment, type NatsDeploymentFiles } from "./nats-deployment.js";
export {
  derivedPorts,
  type NatsDeploymentFilesOptions,
  type NatsServerAddress,
  NatsTemplateError,
  renderNatsTemplate,
  type WrittenNatsServer,
  writeNatsDeploymentFiles,
} from "./nats-deployment-files.js";
export {
  leafnodeLinkPermissions,
  leafnodeServerId,
  type NatsPermissions,
  natsInboxPrefix,
  natsPermissions,
  subjects,
  telemetryStreamName,
} from "./nats-permissions.js";
export { type PushResult, pushAccountJwt } from "./nats-push.js";
export { pkiFiles } from "./pki-files.js";
export { CRL_DAYS, type IssuedRecord, Pki, PkiError } from "./pki-store.js";
export { normaliseSerial, RevocationList } from "./revocation-list.js";
export {
  RotatingClientCredentials,
  type RotatingClientCredentialsOptions,
  rotatingClientCredentials,
} from "./rotating-client-credentials.js";
export {
  ensureStream,
  HISTORY_TELEMETRY_LIMITS,
  historyStreamConfig,
  historyStreamName,
  REGION_TELEMETRY_LIMITS,
  regionTelemetryStreamConfig,
  type TelemetryStreamLimits,
  telemetryMsgId,
} from "./telemetry-stream.js";
export { type SecureNatsServer, startSecureNatsServer } from "./test-support/secure-nats.js";
