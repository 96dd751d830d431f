// `GET /api/v1/whoami`: the role and expiry of the caller's token. The REST API had no way for a client to
// learn its own role; the dashboard needs it to say "viewer: read-only" and to log in (a token is checked
// by asking this route with it). Added here, beside the dashboard, rather than in the REST app.
import type { Hono } from "hono";
import { authenticate } from "../api/auth.js";
import type { Store } from "../store/store.js";

export interface WhoAmI {
  tokenId: string;
  role: string;
  expireTimeMs: number;
}

export function mountWhoAmI(app: Hono, o: { store: Store; nowMs: () => number }): void {
  app.get("/api/v1/whoami", async (c) => {
    const p = await authenticate(o.store, c.req.header("authorization"), o.nowMs());
    const record = await o.store.getToken(p.tokenId);
    const out: WhoAmI = { tokenId: p.tokenId, role: p.role, expireTimeMs: record?.expireTimeMs ?? 0 };
    return c.json(out);
  });
}
