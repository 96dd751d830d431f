// Client-side certificate rotation: gRPC channel credentials that follow a bundle's files. A channel's
// credentials cannot change, so a holder of long-lived channels (the Raft transport, a Knowledge Base dialling
// fog leads) subscribes and opens new channels with the new credentials when the bundle is enrolled again.
import { unwatchFile, watchFile } from "node:fs";
import { createSecureContext, type PeerCertificate } from "node:tls";
import type { ChannelCredentials } from "@grpc/grpc-js";
import type { Bundle } from "./bundle.js";
import { bundleFiles } from "./bundle-files.js";
import { contextOptions, grpcClientCredentials } from "./grpc-credentials.js";
import type { Identity } from "./identity.js";

export interface RotatingClientCredentialsOptions {
  expectServer?: (peer: Identity, cert: PeerCertificate) => boolean;
  /** How often the bundle's files are polled. Default 1000 ms. */
  pollMs?: number;
  /**
   * How long the files must stay unchanged before they are used: `qonnect enroll` replaces key.pem and
   * cert.pem one after the other. Default 300 ms.
   */
  settleMs?: number;
}

/**
 * Channel credentials for mutual TLS from a bundle that are rebuilt when cert.pem, key.pem, ca.pem or the CRL
 * change. `current` is always the latest usable set; `subscribe` tells a holder of channels to open new ones.
 * A half-written pair (a key that does not match the certificate) is skipped and the old set kept. Call
 * `close()` to stop watching.
 */
export class RotatingClientCredentials {
  private credentials: ChannelCredentials;
  private material: string;
  private readonly listeners = new Set<(credentials: ChannelCredentials) => void>();
  private readonly watched: string[];
  private timer: NodeJS.Timeout | undefined;
  /** Times the credentials were rebuilt after a change, and times a change could not be used (yet). */
  rotations = 0;
  rejectedReloads = 0;

  constructor(
    private readonly bundle: Bundle,
    private readonly options: RotatingClientCredentialsOptions = {},
  ) {
    const ctx = contextOptions(bundle);
    this.material = fingerprint(ctx);
    this.credentials = grpcClientCredentials(bundle, this.expect(), createSecureContext(ctx));
    const files = bundleFiles(bundle.dir);
    this.watched = [files.ca, files.cert, files.key, ...(bundle.crlFile ? [bundle.crlFile] : [])];
    for (const file of this.watched)
      watchFile(file, { interval: options.pollMs ?? 1000, persistent: false }, () => this.changed());
  }

  get current(): ChannelCredentials {
    return this.credentials;
  }

  /** Calls `listener` with the new credentials after every rotation; returns the unsubscribe function. */
  subscribe(listener: (credentials: ChannelCredentials) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Re-reads the bundle's files now. True when they changed and were usable (listeners were told), false when
   * nothing changed or the files do not form a usable set (the old credentials stay).
   */
  reload(): boolean {
    const ctx = contextOptions(this.bundle);
    const material = fingerprint(ctx);
    if (material === this.material) return false;
    let context: ReturnType<typeof createSecureContext>;
    try {
      context = createSecureContext(ctx);
    } catch {
      this.rejectedReloads++;
      return false;
    }
    this.material = material;
    this.credentials = grpcClientCredentials(this.bundle, this.expect(), context);
    this.rotations++;
    for (const l of this.listeners) l(this.credentials);
    return true;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const file of this.watched) unwatchFile(file);
    this.listeners.clear();
  }

  private changed(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload();
    }, this.options.settleMs ?? 300);
    this.timer.unref();
  }

  private expect() {
    return this.options.expectServer ? { expectServer: this.options.expectServer } : {};
  }
}

function fingerprint(ctx: ReturnType<typeof contextOptions>): string {
  return JSON.stringify([ctx.ca, ctx.cert, ctx.key, ctx.crl ?? ""]);
}

/** Same as `new RotatingClientCredentials(bundle, options)`. */
export function rotatingClientCredentials(
  bundle: Bundle,
  options: RotatingClientCredentialsOptions = {},
): RotatingClientCredentials {
  return new RotatingClientCredentials(bundle, options);
}
