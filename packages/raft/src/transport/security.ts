// Credentials for the peer transport and the client API. Plain text in tests; mutual TLS otherwise.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { identityFromCertificate } from "@qonnect/pki";

/** What a node listens with and what it dials its peers (and clients dial it) with. */
export interface TransportSecurity {
  serverCredentials: grpc.ServerCredentials;
  channelCredentials: grpc.ChannelCredentials;
  /**
   * With TLS: the member id a peer's (verified) client certificate names, or undefined when it names no member
   * of this cluster. Peer traffic is accepted only from such certificates, and a batch's `from` must equal it:
   * a member's id comes from its certificate, never from the message.
   */
  memberIdFromCertificate?: (certDer: Buffer) => number | undefined;
  /**
   * With TLS: true when a peer certificate (by serial, hex) was revoked. Its streams are refused, also on a
   * connection opened before the revocation, and every batch is checked again.
   */
  isRevokedSerial?: (serialHex: string) => boolean;
  /**
   * Channel credentials that change (this node's certificate was rotated): the transport opens new channels
   * with the credentials it is given and moves its streams to them, closing the old channels once their
   * streams have ended. Returns the unsubscribe function.
   */
  onChannelCredentials?: (listener: (credentials: grpc.ChannelCredentials) => void) => () => void;
}

/**
 * Member ids from qonnect certificates: role `fog` (Raft peers; clients hold other roles), the cluster's
 * region, and an id that is a number or ends in `-<number>` (`spiffe://qonnect/eu/fog/fog-2` is member 2).
 */
export function qonnectMemberId(region: string): (certDer: Buffer) => number | undefined {
  return (der) => {
    const peer = identityFromCertificate(der);
    if (peer?.role !== "fog" || peer.region !== region) return undefined;
    const m = /(?:^|-)(\d{1,9})$/.exec(peer.id);
    const id = m ? Number(m[1]) : 0;
    return id >= 1 ? id : undefined;
  };
}

export function insecureSecurity(): TransportSecurity {
  return {
    serverCredentials: grpc.ServerCredentials.createInsecure(),
    channelCredentials: grpc.credentials.createInsecure(),
  };
}

export interface TlsPem {
  /** CA that signed every member's certificate (PEM). */
  caPem: Buffer;
  /** This node's certificate and key (PEM); used as server and as client certificate. */
  certPem: Buffer;
  keyPem: Buffer;
  /** Require and verify client certificates on the server side. Default true. */
  requireClientCert?: boolean;
}

/**
 * Mutual TLS: servers present the node certificate and verify clients against the CA, and vice versa. Peer
 * member ids come from certificates (qonnectMemberId of this node's own region): a node whose certificate
 * names no qonnect fog identity accepts no peer traffic at all.
 */
export function tlsSecurity(pem: TlsPem): TransportSecurity {
  const own = identityFromCertificate(pem.certPem);
  return {
    memberIdFromCertificate: own ? qonnectMemberId(own.region) : () => undefined,
    serverCredentials: grpc.ServerCredentials.createSsl(
      pem.caPem,
      [{ cert_chain: pem.certPem, private_key: pem.keyPem }],
      pem.requireClientCert ?? true,
    ),
    channelCredentials: grpc.credentials.createSsl(pem.caPem, pem.keyPem, pem.certPem),
  };
}

/** Reads the PEM files named by `--tls-ca`, `--tls-cert` and `--tls-key`. */
export function tlsSecurityFromFiles(files: { ca: string; cert: string; key: string }): TransportSecurity {
  return tlsSecurity({
    caPem: readFileSync(files.ca),
    certPem: readFileSync(files.cert),
    keyPem: readFileSync(files.key),
  });
}
