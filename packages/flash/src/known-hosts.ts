import { createHash, createHmac } from "node:crypto";

/** How a host key compares with a known_hosts file (OpenSSH's format, plain or hashed host names). */
export type HostKeyVerdict = "known" | "unknown" | "changed";

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function keyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …). */
export function keyType(keyBlob: Buffer): string {
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.toString("latin1", 4, 4 + len);
}

/** The name a host has in known_hosts: `host`, or `[host]:port` off port 22. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return re.test(name);
}

function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt = "", hash = ""] = field.split("|");
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  let matched = false;
  for (const p of field.split(",")) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

/**
 * Checks a host key against known_hosts text. A line for this host with the same key is `known`; a line
 * with the same key type and another key, or a `@revoked` line with this key, is `changed` (always
 * refused); no line of this key type is `unknown` (refused unless accepted explicitly).
 */
export function checkHostKey(
  knownHosts: string,
  host: string,
  port: number,
  keyBlob: Buffer,
): HostKeyVerdict {
  const name = hostPattern(host, port);
  const type = keyType(keyBlob);
  const b64 = keyBlob.toString("base64");
  let verdict: HostKeyVerdict = "unknown";
  for (const raw of knownHosts.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    let marker = "";
    if (parts[0]?.startsWith("@")) marker = parts.shift() ?? "";
    const [hosts = "", lineType = "", key = ""] = parts;
    if (!hostsMatch(hosts, name)) continue;
    if (marker === "@revoked") {
      if (key === b64) return "changed";
      continue;
    }
    if (marker) continue; // @cert-authority: host certificates are not used here
    if (lineType !== type) continue;
    if (key === b64) verdict = "known";
    else if (verdict !== "known") verdict = "changed";
  }
  return verdict;
}

/** The line to append when a new key is accepted. */
export function knownHostsLine(host: string, port: number, keyBlob: Buffer): string {
  return `${hostPattern(host, port)} ${keyType(keyBlob)} ${keyBlob.toString("base64")}\n`;
}
