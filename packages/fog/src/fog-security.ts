// A fog lead's identity from its `qonnect enroll fog` bundle (DESIGN.md §10): mutual TLS on the one gRPC port
// (Raft transport and FogLead) with the bundle's certificate, re-read on rotation and checked against the
// CRL; the Raft member id of a peer comes from its certificate; FogLead calls are authorised by the caller's
// certificate role; NATS with the bundle's JWT credentials and TLS with the deployment's CA pinned.
import type * as grpc from "@grpc/grpc-js";
import {
  authorizePeer,
  type Bundle,
  type CallWithAuth,
  grpcClientCredentials,
  grpcServerCredentials,
  type Identity,
  loadBundle,
  natsConnectOptions,
  PeerAuthError,
  RevocationList,
  rotatingClientCredentials,
} from "@qonnect/pki";
import { qonnectMemberId, type TransportSecurity } from "@qonnect/raft";
import type { ConnectionOptions } from "nats";

/** The bundle names another identity than the configuration says this member is. */
export class FogIdentityError extends Error {
  override name = "FogIdentityError";
  constructor(
    readonly bundleDir: string,
    readonly problem: string,
  ) {
    super(
      `${bundleDir}: ${problem}; enrol this member with 'qonnect enroll fog fog-<member> --region <region>'`,
    );
  }
}

/** The FogLead methods, by what they change. */
export type FogMethod =
  | "getRegion"
  | "watchRegion"
  | "applyPlan"
  | "addMember"
  | "removeMember"
  | "transferLeadership";

/**
 * Who may call what (DESIGN.md §10), for a member of `region`:
 * - reads (GetRegion, WatchRegion): the Knowledge Base, admins, and the region's own fog leads;
 * - ApplyPlan: the Knowledge Base only (plans come from it; an admin goes through the control API);
 * - AddMember, RemoveMember, TransferLeadership: admins and the Knowledge Base;
 * - devices, fog leads of other regions and NATS servers: nothing.
 */
export function fogCallAllowed(method: FogMethod, peer: Identity, region: string): boolean {
  const cloud = peer.role === "kb" || peer.role === "admin";
  switch (method) {
    case "getRegion":
    case "watchRegion":
      return cloud || (peer.role === "fog" && peer.region === region);
    case "applyPlan":
      return peer.role === "kb";
    case "addMember":
    case "removeMember":
    case "transferLeadership":
      return cloud;
  }
}

export interface FogSecurity {
  bundle: Bundle;
  transport: TransportSecurity;
  /** nats.js options: servers, TLS with the CA pinned, client certificate, JWT creds, inbox prefix. */
  nats(servers: string[]): ConnectionOptions;
  /** undefined when the call's client may call `method`, else the error to answer with. */
  authorize(call: CallWithAuth, method: FogMethod): PeerAuthError | undefined;
  close(): void;
}

/**
 * Loads the bundle and checks it names this member: role `fog`, the configured region, and an id whose
 * number is the configured member id (`fog-2` is member 2).
 */
export function fogSecurity(
  bundleDir: string,
  expected: { region: string; member: number; crlFile?: string },
): FogSecurity {
  const bundle = loadBundle(bundleDir, expected.crlFile ? { crlFile: expected.crlFile } : {});
  const me = bundle.identity;
  if (me.role !== "fog")
    throw new FogIdentityError(bundleDir, `the bundle is a ${me.role} identity, not fog`);
  if (me.region !== expected.region)
    throw new FogIdentityError(bundleDir, `the bundle is of region ${me.region}, not ${expected.region}`);
  const memberOf = qonnectMemberId(expected.region);
  const id = memberOf(Buffer.from(bundle.certPem));
  if (id !== expected.member)
    throw new FogIdentityError(
      bundleDir,
      `the certificate names member ${id ?? "(none)"} (${me.id}), but this is member ${expected.member}`,
    );
  const server = grpcServerCredentials(bundle);
  const revoked = bundle.crlFile ? new RevocationList(bundle.crlFile) : undefined;
  // the Raft links dial with credentials that follow the bundle: a rotated certificate is used on new
  // channels at once, and the transport moves its streams to them (the server side reloads by itself)
  const channel = rotatingClientCredentials(bundle, {
    expectServer: (peer) => peer.role === "fog" && peer.region === expected.region,
  });
  return {
    bundle,
    transport: {
      serverCredentials: server as grpc.ServerCredentials,
      channelCredentials: channel.current,
      memberIdFromCertificate: memberOf,
      ...(revoked ? { isRevokedSerial: (serial: string) => revoked.isRevoked(serial) } : {}),
      onChannelCredentials: (listener) => channel.subscribe(listener),
    },
    nats: (servers) => natsConnectOptions(bundle, servers),
    authorize(call, method) {
      const r = authorizePeer(call, (peer) => fogCallAllowed(method, peer, expected.region), { revoked });
      return r instanceof PeerAuthError ? r : undefined;
    },
    close: () => {
      server.close();
      channel.close();
    },
  };
}

type Handler = (
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
  cb?: grpc.sendUnaryData<unknown>,
) => void;

/**
 * The FogLead implementation with every method behind `authorize`: a refused unary call is answered with the
 * error (UNAUTHENTICATED or PERMISSION_DENIED), a refused WatchRegion stream is ended with it.
 */
export function guardFogService(
  implementation: grpc.UntypedServiceImplementation,
  authorize: (call: CallWithAuth, method: FogMethod) => PeerAuthError | undefined,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, fn] of Object.entries(implementation)) {
    const handler = fn as unknown as Handler;
    out[name] = ((call: Parameters<Handler>[0], cb?: grpc.sendUnaryData<unknown>) => {
      const refused = authorize(call as CallWithAuth, name as FogMethod);
      if (!refused) return handler(call, cb);
      const error = {
        name: refused.name,
        message: refused.message,
        code: refused.code,
        details: refused.message,
      };
      if (cb) return cb(error as grpc.ServiceError, null);
      (call as grpc.ServerWritableStream<unknown, unknown>).destroy(error as unknown as Error);
    }) as unknown as grpc.UntypedHandleCall;
  }
  return out;
}

/**
 * Channel credentials for a FogLead client holding a bundle (the Knowledge Base, an admin, the demo): mutual
 * TLS, and the server must be a fog lead (of `region`, when given) by its certificate.
 */
export function fogClientCredentials(bundle: Bundle, region?: string): grpc.ChannelCredentials {
  return grpcClientCredentials(bundle, {
    expectServer: (peer) => peer.role === "fog" && (region === undefined || peer.region === region),
  });
}
