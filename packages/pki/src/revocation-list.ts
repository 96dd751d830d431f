import { readFileSync, statSync } from "node:fs";
import { x509 } from "./x509.js";

/**
 * The serials a CRL file revokes, re-read whenever the file's mtime or size changes (checked at most once
 * per `checkEveryMs`), so `qonnect revoke` takes effect on running servers without a restart. An unreadable
 * or malformed file keeps the last good list (and counts the failure).
 */
export class RevocationList {
  private serials = new Set<string>();
  private stamp = "";
  private checkedAtMs = Number.NEGATIVE_INFINITY;
  reloadFailures = 0;

  constructor(
    readonly file: string,
    private readonly nowMs: () => number = Date.now,
    private readonly checkEveryMs = 1000,
  ) {
    this.refresh(true);
  }

  /** True when `serial` (hex, any case, leading zeros ignored) is revoked. */
  isRevoked(serial: string): boolean {
    this.refresh(false);
    return this.serials.has(normaliseSerial(serial));
  }

  get size(): number {
    return this.serials.size;
  }

  /** The CRL's PEM text as last read (for TLS contexts). */
  pem = "";

  refresh(force: boolean): void {
    const now = this.nowMs();
    if (!force && now - this.checkedAtMs < this.checkEveryMs) return;
    this.checkedAtMs = now;
    try {
      const st = statSync(this.file);
      const stamp = `${st.mtimeMs}:${st.size}`;
      if (stamp === this.stamp) return;
      const pem = readFileSync(this.file, "utf8");
      const crl = new x509.X509Crl(pem);
      this.serials = new Set(crl.entries.map((e) => normaliseSerial(e.serialNumber)));
      this.stamp = stamp;
      this.pem = pem;
    } catch {
      this.reloadFailures++;
    }
  }
}

export function normaliseSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+/, "");
}
