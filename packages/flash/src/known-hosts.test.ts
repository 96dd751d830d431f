import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkHostKey, keyFingerprint, keyType, knownHostsLine } from "./known-hosts.js";

function blob(type: string, fill: number): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, fill)]);
}
const key = blob("ssh-ed25519", 1);
const other = blob("ssh-ed25519", 2);
const ecdsa = blob("ecdsa-sha2-nistp256", 3);

describe("known_hosts checks (OpenSSH format)", () => {
  it("known, unknown and changed keys; ports other than 22 as [host]:port", () => {
    const file = knownHostsLine("10.0.0.5", 22, key) + knownHostsLine("10.0.0.6", 2222, key);
    expect(file).toContain("[10.0.0.6]:2222 ssh-ed25519 ");
    expect(checkHostKey(file, "10.0.0.5", 22, key)).toBe("known");
    expect(checkHostKey(file, "10.0.0.6", 2222, key)).toBe("known");
    expect(checkHostKey(file, "10.0.0.6", 22, key)).toBe("unknown");
    expect(checkHostKey(file, "10.0.0.7", 22, key)).toBe("unknown");
    expect(checkHostKey(file, "10.0.0.5", 22, other)).toBe("changed");
    // another key type for a known host is new, not changed (OpenSSH records one line per type)
    expect(checkHostKey(file, "10.0.0.5", 22, ecdsa)).toBe("unknown");
  });

  it("hashed host names, patterns, negation, comments and @revoked", () => {
    const salt = randomBytes(20);
    const hash = createHmac("sha1", salt).update("pi.local").digest("base64");
    const b64 = key.toString("base64");
    const file = [
      "# comment",
      `|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${b64}`,
      `*.lab,!bad.lab ssh-ed25519 ${b64}`,
      `@revoked * ssh-ed25519 ${other.toString("base64")}`,
    ].join("\n");
    expect(checkHostKey(file, "pi.local", 22, key)).toBe("known");
    expect(checkHostKey(file, "pi1.lab", 22, key)).toBe("known");
    expect(checkHostKey(file, "bad.lab", 22, key)).toBe("unknown");
    expect(checkHostKey(file, "anything", 22, other)).toBe("changed");
  });

  it("fingerprints as ssh-keygen -l prints them", () => {
    expect(keyType(key)).toBe("ssh-ed25519");
    expect(keyFingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
