// Bearer tokens with roles. A token is `qkb_<id>_<secret>`; the store keeps only sha256(secret), so a
// leaked database does not leak tokens. Missing, malformed, wrong, revoked and expired tokens are all the
// same UNAUTHENTICATED to the caller.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { ROLES, type Role, type Store } from "../store/store.js";
import { ApiError } from "./errors.js";

export interface Principal {
  tokenId: string;
  role: Role;
}

export const DEFAULT_TTL_S = 30 * 24 * 3600;

const rank = (r: Role) => ROLES.indexOf(r);

export function atLeast(have: Role, need: Role): boolean {
  return rank(have) >= rank(need);
}

function hashOf(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export interface CreatedToken {
  token: string;
  id: string;
  role: Role;
  expireTimeMs: number;
}

export function isRole(r: string): r is Role {
  return (ROLES as readonly string[]).includes(r);
}

/** Makes a token and stores its hash. The returned `token` is the only copy of the secret. */
export async function createToken(
  store: Store,
  role: Role,
  options: { description?: string; ttlS?: number; nowMs: number },
): Promise<CreatedToken> {
  const id = randomBytes(6).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const expireTimeMs = options.nowMs + (options.ttlS ?? DEFAULT_TTL_S) * 1000;
  await store.createToken({
    id,
    hash: hashOf(secret),
    role,
    description: options.description ?? "",
    createTimeMs: options.nowMs,
    expireTimeMs,
    revoked: false,
  });
  return { token: `qkb_${id}_${secret}`, id, role, expireTimeMs };
}

/** Why a token was refused, for the event log (never the token itself). */
export class AuthError extends ApiError {
  constructor(
    code: "UNAUTHENTICATED" | "PERMISSION_DENIED",
    message: string,
    readonly why: string,
  ) {
    super(code, message);
  }
}

/** The principal behind an `authorization` header value, or AuthError(UNAUTHENTICATED). */
export async function authenticate(
  store: Store,
  header: string | undefined,
  nowMs: number,
): Promise<Principal> {
  const fail = (why: string) =>
    new AuthError(
      "UNAUTHENTICATED",
      "missing or invalid bearer token: pass --token or set a context (qonnect config set-context)",
      why,
    );
  if (!header) throw fail("no bearer token");
  const m = /^Bearer\s+qkb_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$/.exec(header.trim());
  if (!m) throw fail("malformed bearer token");
  const record = await store.getToken(m[1]!);
  if (!record) throw fail("unknown token id");
  const given = Buffer.from(hashOf(m[2]!), "hex");
  const stored = Buffer.from(record.hash, "hex");
  if (given.length !== stored.length || !timingSafeEqual(given, stored))
    throw fail(`wrong secret for token ${record.id}`);
  if (record.revoked) throw fail(`token ${record.id} is revoked`);
  if (record.expireTimeMs <= nowMs) throw fail(`token ${record.id} expired`);
  return { tokenId: record.id, role: record.role };
}

export function authorize(p: Principal, need: Role, what: string): void {
  if (!atLeast(p.role, need))
    throw new AuthError(
      "PERMISSION_DENIED",
      `${what} needs the ${need} role; this token has ${p.role}: ask an admin for a ${need} token`,
      `token ${p.tokenId} (${p.role}) may not ${what} (needs ${need})`,
    );
}
