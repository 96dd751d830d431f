import { readFileSync, unwatchFile, watchFile } from "node:fs";
import {
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type SecureContextOptions,
} from "node:tls";
import { type ChannelCredentials, credentials, ServerCredentials, status } from "@grpc/grpc-js";
import type { Bundle } from "./bundle.js";
import { bundleFiles } from "./bundle-files.js";
import { type Identity, identityFromCertificate } from "./identity.js";
import { RevocationList } from "./revocation-list.js";

/** The bundle's current files as TLS context options (the loaded bundle's text where a file is unreadable). */
export function contextOptions(bundle: Bundle): SecureContextOptions {
  const files = bundleFiles(bundle.dir);
  const read = (path: string, fallback: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return fallback;
    }
  };
  const crl = bundle.crlFile ? read(bundle.crlFile, "") : "";
  return {
    ca: read(files.ca, bundle.caPem),
    cert: read(files.cert, bundle.certPem),
    key: read(files.key, bundle.keyPem),
    ...(crl ? { crl } : {}),
    minVersion: "TLSv1.2",
  };
}

/**
 * gRPC server credentials for mutual TLS from a bundle: clients must present a certificate of the same CA
 * (and not on the CRL). The server re-reads cert.pem, key.pem, ca.pem and the CRL when they change (polled
 * every `pollMs`), so rotation and revocation take effect without a restart; open connections stay up.
 * Call `close()` when the server shuts down.
 */
export class MutualTlsServerCredentials extends ServerCredentials {
  private readonly watched: string[];

  constructor(
    private readonly bundle: Bundle,
    options: { pollMs?: number } = {},
  ) {
    super({ requestCert: true, rejectUnauthorized: true }, contextOptions(bundle));
    const files = bundleFiles(bundle.dir);
    this.watched = [files.ca, files.cert, files.key, ...(bundle.crlFile ? [bundle.crlFile] : [])];
    for (const file of this.watched)
      watchFile(file, { interval: options.pollMs ?? 1000, persistent: false }, () => this.reload());
  }

  /** Re-reads the bundle's files now and applies them to new connections. */
  reload(): void {
    this.updateSecureContextOptions(contextOptions(this.bundle));
  }

  close(): void {
    for (const file of this.watched) unwatchFile(file);
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/** Same as `new MutualTlsServerCredentials(bundle)`. */
export function grpcServerCredentials(bundle: Bundle, options: { pollMs?: number } = {}) {
  return new MutualTlsServerCredentials(bundle, options);
}

/**
 * gRPC channel credentials for mutual TLS from a bundle. The server must present a certificate of the CA; with
 * `expectServer`, its spiffe identity must satisfy it (instead of the host-name check, so members can be
 * dialled by IP address); without it, the usual host-name check applies.
 */
export function grpcClientCredentials(
  bundle: Bundle,
  options: { expectServer?: (peer: Identity, cert: PeerCertificate) => boolean } = {},
  context: SecureContext = createSecureContext(contextOptions(bundle)),
): ChannelCredentials {
  return credentials.createFromSecureContext(context, {
    checkServerIdentity: (host: string, cert: PeerCertificate) => {
      if (!options.expectServer) return checkServerIdentity(host, cert);
      const peer = identityFromCertificate(cert.raw);
      if (peer && options.expectServer(peer, cert)) return undefined;
      return new Error(
        `server certificate names ${peer ? `${peer.region}/${peer.role}/${peer.id}` : "no qonnect identity"}, not the expected peer`,
      );
    },
  });
}

/** The call's transport peer, as grpc-js exposes it on every server call object. */
export interface CallWithAuth {
  getAuthContext?(): { sslPeerCertificate?: PeerCertificate } | null;
}

/** An error a handler returns to the caller (grpc-js `ServiceError` shape). */
export class PeerAuthError extends Error {
  override name = "PeerAuthError";
  constructor(
    message: string,
    readonly code: status,
  ) {
    super(message);
  }
}

/**
 * The verified identity of the client of a call (from its TLS certificate, never from a message field), or a
 * PeerAuthError: UNAUTHENTICATED without a qonnect certificate or with a revoked one, PERMISSION_DENIED when
 * `allow` refuses the identity. Pass `revoked` to refuse certificates revoked after the connection opened.
 */
export function authorizePeer(
  call: CallWithAuth,
  allow: (peer: Identity) => boolean,
  options: { revoked?: RevocationList } = {},
): Identity | PeerAuthError {
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert?.raw) return new PeerAuthError("a client certificate is required", status.UNAUTHENTICATED);
  const peer = identityFromCertificate(cert.raw);
  if (!peer)
    return new PeerAuthError("the client certificate names no qonnect identity", status.UNAUTHENTICATED);
  if (options.revoked?.isRevoked(cert.serialNumber))
    return new PeerAuthError(`certificate ${cert.serialNumber} is revoked`, status.UNAUTHENTICATED);
  if (!allow(peer))
    return new PeerAuthError(
      `${peer.region}/${peer.role}/${peer.id} may not call this method`,
      status.PERMISSION_DENIED,
    );
  return peer;
}

/** The identity of a call's client certificate, without any check beyond the TLS handshake's. */
export function peerIdentity(call: CallWithAuth): Identity | undefined {
  const raw = call.getAuthContext?.()?.sslPeerCertificate?.raw;
  return raw ? identityFromCertificate(raw) : undefined;
}

export { RevocationList };
