import { connect, credsAuthenticator } from "nats";
import { Algorithms, createUser, encodeUser, fmtCreds, fromSeed, type KeyPair } from "nats-jwt";
import { issueLeaf } from "./certificate.js";
import { accountJwts } from "./nats-auth.js";
import type { Pki } from "./pki-store.js";

/** What one server answered to an account update. */
export interface PushResult {
  server: string;
  ok: boolean;
  message: string;
}

/**
 * Pushes the current account JWT (with its revocations) to running nats-servers as a short-lived system
 * account user over TLS (`$SYS.REQ.ACCOUNT.<account>.CLAIMS.UPDATE`, which the MEMORY resolver of 2.9 accepts):
 * the server applies it at once and closes the connections of revoked users. resolver.conf carries the same
 * JWT for restarts and SIGHUP reloads (which refuse new connections but keep open ones).
 */
export async function pushAccountJwt(pki: Pki, servers: string[], nowMs: number): Promise<PushResult[]> {
  const revocations = Object.fromEntries(
    pki
      .issued()
      .filter((r) => r.revokedAtMs !== undefined)
      .map((r) => [r.userKey, Math.floor((r.revokedAtMs ?? nowMs) / 1000) + 1]),
  );
  const jwts = await accountJwts(pki.natsKeys, revocations);
  const user = createUser() as KeyPair;
  const jwt = await encodeUser(
    "qonnect-pki",
    user,
    fromSeed(new TextEncoder().encode(pki.natsKeys.systemSeed)),
    {},
    { algorithm: Algorithms.v2, exp: Math.floor(nowMs / 1000) + 300 },
  );
  const tlsCert = await issueLeaf(
    { certPem: pki.caCertPem, keyPem: pki.caKeyPem },
    { region: "cloud", role: "admin", id: "qonnect-pki" },
    { nowMs, days: 1 },
  );
  const results: PushResult[] = [];
  for (const server of servers) {
    try {
      const nc = await connect({
        servers: [server],
        maxReconnectAttempts: 0,
        tls: { ca: pki.caCertPem, cert: tlsCert.certPem, key: tlsCert.keyPem },
        authenticator: credsAuthenticator(fmtCreds(jwt, user)),
      });
      try {
        const reply = await nc.request(
          `$SYS.REQ.ACCOUNT.${jwts.accountKey}.CLAIMS.UPDATE`,
          new TextEncoder().encode(jwts.accountJwt),
          { timeout: 5000 },
        );
        const body = JSON.parse(new TextDecoder().decode(reply.data)) as {
          data?: { code?: number; message?: string };
          error?: { description?: string };
        };
        const ok = body.data?.code === 200;
        results.push({ server, ok, message: body.data?.message ?? body.error?.description ?? "no answer" });
      } finally {
        await nc.close();
      }
    } catch (err) {
      results.push({ server, ok: false, message: (err as Error).message });
    }
  }
  return results;
}
