// The dashboard's session: the bearer token kept in an HttpOnly, SameSite=Strict cookie. Requests that
// carry the cookie and no Authorization header get the header from it, so the REST API (and its roles)
// is the only way in. Writes authenticated by the cookie must also carry `x-qonnect-dashboard: 1`, which a
// cross-site form cannot send (SameSite=Strict already keeps the cookie off cross-site requests; this is
// the second lock).
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";

export const SESSION_COOKIE = "qonnect_session";
export const DASHBOARD_HEADER = "x-qonnect-dashboard";

/** What a Set-Cookie for `token` looks like; `maxAgeS` 0 clears it. */
export function sessionCookie(token: string, maxAgeS: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    `Max-Age=${Math.max(0, Math.floor(maxAgeS))}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export const isSecure = (c: Context) => new URL(c.req.url).protocol === "https:";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** Turns the session cookie into `Authorization: Bearer …` for the REST API. */
export function cookieAuth(): MiddlewareHandler {
  return async (c, next) => {
    if (!c.req.header("authorization")) {
      const token = getCookie(c, SESSION_COOKIE);
      if (token) {
        if (!SAFE.has(c.req.method) && c.req.header(DASHBOARD_HEADER) !== "1")
          return c.json(
            {
              code: "PERMISSION_DENIED",
              message: `a write with the dashboard's session cookie needs the ${DASHBOARD_HEADER} header`,
              details: { problems: [] },
            },
            403,
          );
        c.req.raw.headers.set("authorization", `Bearer ${token}`);
      }
    }
    await next();
  };
}
