import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appYaml, startTestKb, type TestKb } from "../testdata/harness.js";
import { APP_CSS, APP_JS } from "./assets.gen.js";
import { assetsModule, buildDashboard } from "./build.js";
import { contrast } from "./testdata/contrast.js";

describe("dashboard routes on a real kb serve listener", () => {
  let t: TestKb;
  beforeAll(async () => {
    t = await startTestKb("sqlite");
  });
  afterAll(async () => {
    await t?.stop();
  });
  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${t.kb.httpUrl}${path}`, { redirect: "manual", ...init });

  it("sends a visitor without a session to the login page, with a strict CSP", async () => {
    const r = await get("/");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/login");
    const login = await get("/login");
    expect(login.status).toBe(200);
    expect(login.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await login.text()).toContain('name="token"');
  });

  it("exchanges ?token= for an HttpOnly SameSite=Strict cookie and drops it from the address", async () => {
    const r = await get(`/?token=${t.tokens.viewer}&x=1`);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/?x=1");
    const cookie = r.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^qonnect_session=qkb_/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    const bad = await get("/?token=qkb_000000000000_nope-nope-nope-nope-nope");
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
  });

  it("logs in with the form; the cookie then authenticates the REST API with the token's role", async () => {
    const r = await get("/login", {
      method: "POST",
      body: new URLSearchParams({ token: t.tokens.viewer }),
    });
    expect(r.status).toBe(303);
    const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0]!;
    const who = await get("/api/v1/whoami", { headers: { cookie } });
    expect(await who.json()).toMatchObject({ role: "viewer" });
    expect((await get("/api/v1/applications", { headers: { cookie } })).status).toBe(200);
    const shell = await get("/", { headers: { cookie } });
    expect(await shell.text()).toContain('src="/assets/app.js"');
    // a viewer's session cannot write, with or without the dashboard's header
    const put = (headers: Record<string, string>) =>
      get("/api/v1/applications/web", {
        method: "PUT",
        headers: { cookie, ...headers },
        body: appYaml("web"),
      });
    expect((await put({ "x-qonnect-dashboard": "1" })).status).toBe(403);
    expect((await put({})).status).toBe(403);
    // a dry run changes nothing, so a viewer may ask for one
    const plan = await get("/api/v1/plan", {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "x-qonnect-dashboard": "1" },
      body: JSON.stringify({ manifests: [appYaml("what-if")], explain: true }),
    });
    expect(plan.status).toBe(200);
  });

  it("refuses a cookie-authenticated write without the dashboard header even for an operator", async () => {
    const r = await get(`/?token=${t.tokens.operator}`);
    const cookie = (r.headers.get("set-cookie") ?? "").split(";")[0]!;
    const put = (headers: Record<string, string>) =>
      get("/api/v1/applications/web", {
        method: "PUT",
        headers: { cookie, ...headers },
        body: appYaml("web"),
      });
    expect((await put({})).status).toBe(403);
    expect((await put({ "x-qonnect-dashboard": "1" })).status).toBe(201);
  });

  it("logs out by clearing the cookie; a bad cookie is a 401 from the API", async () => {
    const out = await get("/logout", { method: "POST" });
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    const r = await get("/api/v1/whoami", {
      headers: { cookie: "qonnect_session=qkb_000000000000_nope-nope-nope-nope-nope" },
    });
    expect(r.status).toBe(401);
  });

  it("gives the first and last sample of every device in a window in one request (GET /api/v1/series)", async () => {
    const now = Date.now();
    await t.kb.store.put({ kind: "Device", namespace: "default", name: "pi-x", spec: {} }, { nowMs: now });
    const sample = (tsMs: number, energyWh: number) => ({
      device: "pi-x",
      tsMs,
      powerW: 3,
      energyWh,
      solarEnergyWh: 0,
      carbonG: 0,
      cost: 0,
      soc: null,
    });
    await t.kb.store.addSamples([
      sample(now - 7_200_000, 1),
      sample(now - 3_000_000, 2),
      sample(now - 30_000, 5),
    ]);
    const r = await t.http(`/api/v1/series?from=${now - 3_600_000}&to=${now}`, { token: t.tokens.viewer });
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      devices: Record<string, { first: { energyWh: number }; last: { energyWh: number } }>;
    };
    expect(body.devices["pi-x"]?.first.energyWh).toBe(2);
    expect(body.devices["pi-x"]?.last.energyWh).toBe(5);
    expect((await t.http("/api/v1/series")).status).toBe(401);
    expect((await t.http("/api/v1/series?from=x", { token: t.tokens.viewer })).status).toBe(400);
  });

  it("serves the bundle and its stylesheet", async () => {
    const js = await get("/assets/app.js", { headers: { "accept-encoding": "gzip" } });
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("content-encoding")).toBe("gzip");
    expect((await js.text()).length).toBe(APP_JS.length);
    expect((await (await get("/assets/app.css")).text()).length).toBe(APP_CSS.length);
  });
});

describe("dashboard bundle", () => {
  it("is the committed one: rebuilding ui/ gives the same assets.gen.ts (else run pnpm build:dashboard)", async () => {
    const a = await buildDashboard();
    expect(a.js).toBe(APP_JS);
    expect(a.css).toBe(APP_CSS);
    expect(assetsModule(a).length).toBeGreaterThan(a.js.length);
  });

  it("uses colours whose text contrast passes WCAG AA (4.5:1)", () => {
    const vars = Object.fromEntries(
      [...APP_CSS.matchAll(/--([a-z]+):\s*(#[0-9a-f]{6})/g)].map((m) => [m[1]!, m[2]!]),
    );
    for (const v of ["alive", "suspect", "dead", "unreachable", "unknown", "muted"])
      expect(contrast(vars[v]!, "#ffffff"), v).toBeGreaterThanOrEqual(4.5);
    for (const v of ["fg", "muted", "link"])
      expect(contrast(vars[v]!, vars["panel"]!), v).toBeGreaterThanOrEqual(4.5);
    expect(contrast(vars["fg"]!, "#fff8c5")).toBeGreaterThanOrEqual(4.5);
  });
});
