// Credentials for the peer transport and the client API. Plain text in tests; mutual TLS otherwise.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

/** What a node listens with and what it dials its peers (and clients dial it) with. */
export interface TransportSecurity {
  serverCredentials: grpc.ServerCredentials;
  channelCredentials: grpc.ChannelCredentials;
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

/** Mutual TLS: servers present the node certificate and verify clients against the CA, and vice versa. */
export function tlsSecurity(pem: TlsPem): TransportSecurity {
  return {
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
