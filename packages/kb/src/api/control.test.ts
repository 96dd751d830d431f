import * as grpc from "@grpc/grpc-js";
import { usePostgres } from "@qonnect/testkit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KbClientError } from "../client/kb-client.js";
import { appYaml, INVENTORY, startTestKb, type TestKb } from "../testdata/harness.js";

let pg: { url: string; stop(): Promise<void> };
beforeAll(async () => {
  pg = await usePostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of the REST API, checked by the assertions
type Json = any;
const json = (r: Response): Promise<Json> => r.json();

const code = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (e: KbClientError) => e.codeName,
  );

describe.each(["sqlite", "postgres"] as const)(
  "control API on %s through real gRPC and HTTP servers",
  (flavour) => {
    let t: TestKb;
    beforeEach(async () => {
      // the API alone: the planning loop would add its own changes to what the watch tests count
      t = await startTestKb(flavour === "sqlite" ? "sqlite" : { postgresUrl: pg.url }, { planning: false });
    });
    afterEach(async () => {
      await t.stop();
    });

    it("applies, gets (gRPC and REST with ETag), lists with a selector and pages, deletes", async () => {
      const c = t.client(t.tokens.operator);
      const a = await c.apply(appYaml("web", 1, { team: "a" }), "web.yaml");
      expect(a.created).toBe(true);
      expect(a.resource?.metadata?.generation).toBe(1);
      const again = await c.apply(appYaml("web", 1, { team: "a" }));
      expect(again.changed).toBe(false);
      const got = await c.get("applications/web");
      expect(got.resource?.spec?.services?.[0]?.replicas).toBe(1);
      const r = await t.http("/api/v1/applications/web", { token: t.tokens.viewer });
      expect(r.status).toBe(200);
      expect(r.headers.get("etag")).toBe(`"${a.resource?.metadata?.etag}"`);
      expect((await json(r)).metadata.labels).toEqual({ team: "a" });

      for (let i = 0; i < 30; i++)
        await c.apply(appYaml(`app-${String(i).padStart(2, "0")}`, 1, { team: i % 3 ? "b" : "c" }));
      const names: string[] = [];
      let token = "";
      do {
        const page = await c.list({
          collection: "applications",
          labelSelector: "team=b",
          pageSize: 7,
          pageToken: token,
        });
        names.push(...page.resources.map((x) => x.metadata!.name));
        token = page.nextPageToken;
      } while (token);
      expect(names).toEqual(
        Array.from({ length: 30 }, (_, i) => i)
          .filter((i) => i % 3)
          .map((i) => `app-${String(i).padStart(2, "0")}`),
      );
      const restNames: string[] = [];
      let url = "/api/v1/applications?labelSelector=team%20in%20(c)&pageSize=4";
      for (;;) {
        const body = await json(await t.http(url, { token: t.tokens.viewer }));
        restNames.push(...body.items.map((x: { metadata: { name: string } }) => x.metadata.name));
        if (!body.nextPageToken) break;
        url = `/api/v1/applications?labelSelector=team%20in%20(c)&pageSize=4&pageToken=${body.nextPageToken}`;
      }
      expect(restNames).toHaveLength(10);
      expect(await code(c.list({ collection: "applications", labelSelector: "team in c" }))).toBe(
        "INVALID_ARGUMENT",
      );

      const del = await t.http("/api/v1/applications/app-00", { method: "DELETE", token: t.tokens.operator });
      expect(del.status).toBe(200);
      expect(await code(c.get("applications/app-00"))).toBe("NOT_FOUND");
      expect((await t.http("/api/v1/applications/app-00", { token: t.tokens.viewer })).status).toBe(404);
      expect(await code(c.delete("applications/app-00"))).toBe("NOT_FOUND");
    });

    it("optimistic concurrency: of two writers with the same etag one wins, the other gets ABORTED / 412", async () => {
      const c = t.client(t.tokens.operator);
      const a = await c.apply(appYaml("web", 1));
      const etag = a.resource!.metadata!.etag;
      const results = await Promise.all([
        code(c.apply(appYaml("web", 2), "", etag)),
        code(c.apply(appYaml("web", 3), "", etag)),
      ]);
      expect(results.sort()).toEqual(["ABORTED", "OK"]);
      const put = await t.http("/api/v1/applications/web", {
        method: "PUT",
        body: appYaml("web", 4),
        headers: { "if-match": `"${etag}"`, "content-type": "application/yaml" },
        token: t.tokens.operator,
      });
      expect(put.status).toBe(412);
      expect((await json(put)).code).toBe("ABORTED");
      const current = await t.http("/api/v1/applications/web", { token: t.tokens.viewer });
      const ok = await t.http("/api/v1/applications/web", {
        method: "PUT",
        body: appYaml("web", 4),
        headers: { "if-match": current.headers.get("etag")!, "content-type": "application/yaml" },
        token: t.tokens.operator,
      });
      expect(ok.status).toBe(200);
      const del = await t.http("/api/v1/applications/web", {
        method: "DELETE",
        headers: { "if-match": current.headers.get("etag")! },
        token: t.tokens.operator,
      });
      expect(del.status).toBe(412);
    });

    it("a manifest with several mistakes is INVALID_ARGUMENT with every file:line:col problem (gRPC details and REST body)", async () => {
      const bad = `apiVersion: qonnect.io/v1alpha1
kind: Application
metadata:
  name: Bad_Name
spec:
  services:
    - name: web
      replicas: -1
      resources: { cpu: lots, memory: 1Gi }
`;
      const c = t.client(t.tokens.operator);
      const err = (await c.apply(bad, "bad.yaml").catch((e) => e)) as KbClientError;
      expect(err.codeName).toBe("INVALID_ARGUMENT");
      expect(err.problems.length).toBeGreaterThanOrEqual(3);
      expect(err.problems.map((p) => `${p.file}:${p.line}`)).toEqual(
        expect.arrayContaining(["bad.yaml:4", "bad.yaml:8", "bad.yaml:9"]),
      );
      expect(err.message).toMatch(/^bad\.yaml:4:\d+: /m);
      const r = await t.http("/api/v1/applications/bad", {
        method: "PUT",
        body: bad,
        token: t.tokens.operator,
      });
      expect(r.status).toBe(400);
      const body = await json(r);
      expect(body.code).toBe("INVALID_ARGUMENT");
      expect(body.details.problems.length).toBe(err.problems.length);
      expect(body.details.problems[0]).toMatchObject({ line: 4, column: expect.any(Number) });
    });

    it("watch resumes after a dropped stream with no change lost or repeated (gRPC and SSE)", async () => {
      const c = t.client(t.tokens.operator);
      const start = (await c.list({ collection: "applications" })).resourceVersion;
      await c.apply(appYaml("w1"));
      await c.apply(appYaml("w2"));
      const seen: number[] = [];
      const names: string[] = [];
      const w = c.watch({ collection: "applications", resourceVersion: start });
      for await (const ev of w) {
        if (ev.type === 4) continue;
        seen.push(ev.resourceVersion);
        names.push(`${ev.type}:${ev.resource?.metadata?.name}`);
        if (names.length === 2) break;
      }
      // the stream is gone; changes meanwhile must arrive on resumption
      await c.apply(appYaml("w3"));
      await c.apply(appYaml("w1", 2));
      await c.delete("applications/w2");
      const w2 = c.watch({ collection: "applications", resourceVersion: seen[seen.length - 1]! });
      for await (const ev of w2) {
        if (ev.type === 4) continue;
        seen.push(ev.resourceVersion);
        names.push(`${ev.type}:${ev.resource?.metadata?.name}`);
        if (names.length === 5) break;
      }
      expect(names).toEqual(["1:w1", "1:w2", "1:w3", "2:w1", "3:w2"]);
      expect(new Set(seen).size).toBe(5);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);

      // SSE: resume with Last-Event-ID from the second change
      const abort = new AbortController();
      const res = await t.http("/api/v1/watch?collection=applications", {
        token: t.tokens.viewer,
        headers: { "last-event-id": String(seen[1]) },
        signal: abort.signal,
      });
      expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
      const reader = res.body!.getReader();
      let text = "";
      while ((text.match(/^event: (ADDED|MODIFIED|DELETED)$/gm) ?? []).length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      abort.abort();
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids.slice(0, 3)).toEqual(seen.slice(2));
    });

    it("refuses missing, wrong, expired tokens (401 / UNAUTHENTICATED) and weak roles (403 / PERMISSION_DENIED), recording events without the token", async () => {
      expect(await code(t.client().get("applications/x"))).toBe("UNAUTHENTICATED");
      const wrong = `${t.tokens.admin.slice(0, -4)}AAAA`;
      expect(await code(t.client(wrong).list({ collection: "applications" }))).toBe("UNAUTHENTICATED");
      expect(await code(t.client("qkb_nonsense").list({ collection: "applications" }))).toBe(
        "UNAUTHENTICATED",
      );
      expect(await code(t.client(t.tokens.viewer).apply(appYaml("x")))).toBe("PERMISSION_DENIED");
      expect(await code(t.client(t.tokens.operator).createToken("admin"))).toBe("PERMISSION_DENIED");
      expect((await t.http("/api/v1/applications")).status).toBe(401);
      expect((await t.http("/api/v1/applications", { token: wrong })).status).toBe(401);
      const put = await t.http("/api/v1/applications/x", {
        method: "PUT",
        body: appYaml("x"),
        token: t.tokens.viewer,
      });
      expect(put.status).toBe(403);
      expect(await json(put)).toMatchObject({
        code: "PERMISSION_DENIED",
        message: expect.stringMatching(/operator/),
      });
      const { createToken } = await import("./auth.js");
      const expired = await createToken(t.kb.store, "admin", { nowMs: Date.now() - 10_000, ttlS: 1 });
      expect(await code(t.client(expired.token).list({ collection: "applications" }))).toBe(
        "UNAUTHENTICATED",
      );
      // a viewer may ask for a dry run
      expect(await code(t.client(t.tokens.viewer).plan([]))).toBe("OK");
      // an admin makes tokens through the API, and they work
      const made = await t.client(t.tokens.admin).createToken("operator", "ci");
      expect(await code(t.client(made.token).apply(appYaml("y")))).toBe("OK");
      const ev = await t.client(t.tokens.viewer).listEvents({ pageSize: 1000 });
      const reasons = ev.events.map((e) => e.reason);
      expect(reasons.filter((r) => r === "Unauthenticated").length).toBe(6);
      expect(reasons.filter((r) => r === "PermissionDenied").length).toBe(3);
      const all = JSON.stringify(ev.events);
      // the secret is base64url and may itself contain "_": it is everything after `qkb_<id>_`
      const secrets = [t.tokens.admin, wrong, made.token, expired.token].map((x) =>
        x.split("_").slice(2).join("_"),
      );
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThanOrEqual(40);
        expect(all).not.toContain(secret);
      }
    });

    it("plans a dry run on the live inventory and changes nothing; events say what happened", async () => {
      const c = t.client(t.tokens.operator);
      await c.apply(INVENTORY, "inventory.yaml");
      const before = (await c.list({ collection: "applications" })).resourceVersion;
      const p = await c.plan([appYaml("web", 2)], true);
      expect(p.feasible).toBe(true);
      expect(p.placements).toHaveLength(2);
      // carbon weight 1: the low-carbon zone's devices
      expect(p.placements.map((x) => x.region)).toEqual(["eu-west", "eu-west"]);
      expect(p.explanation?.web).toBeTruthy();
      expect((await c.list({ collection: "applications" })).resourceVersion).toBe(before);
      const r = await t.http("/api/v1/plan", {
        method: "POST",
        body: JSON.stringify({ manifests: [appYaml("web", 3)] }),
        headers: { "content-type": "application/json" },
        token: t.tokens.viewer,
      });
      expect((await json(r)).placements).toHaveLength(3);
      const ev = await c.listEvents({ object: "inventories/lab" });
      expect(ev.events.map((e) => e.reason)).toEqual(["Created"]);
    });
  },
);

interface HealthClient {
  check(req: { service: string }, cb: (e: Error | null, r: { status: string }) => void): void;
  close(): void;
}
interface ReflectionClient {
  serverReflectionInfo(): grpc.ClientDuplexStream<
    { listServices: string },
    { listServicesResponse?: { service: { name: string }[] } }
  >;
  close(): void;
}

describe("control API extras (SQLite)", () => {
  let t: TestKb;
  beforeEach(async () => {
    t = await startTestKb("sqlite", { planning: false });
  });
  afterEach(async () => {
    await t.stop();
  });

  it("serves grpc.health.v1, server reflection, /healthz, /readyz, /metrics and a generated OpenAPI document", async () => {
    const { loadSync } = await import("@grpc/proto-loader");
    const { protoPath } = await import("grpc-health-check");
    const healthDef = grpc.loadPackageDefinition(loadSync(protoPath, { enums: String })) as unknown as {
      grpc: {
        health: {
          v1: {
            Health: new (a: string, c: grpc.ChannelCredentials) => HealthClient;
          };
        };
      };
    };
    const health = new healthDef.grpc.health.v1.Health(t.kb.grpcAddress, grpc.credentials.createInsecure());
    const status = await new Promise<{ status: string }>((resolve, reject) =>
      health.check({ service: "qonnect.control.v1.Control" }, (e: Error | null, r: { status: string }) =>
        e ? reject(e) : resolve(r),
      ),
    );
    expect(status.status).toBe("SERVING");
    health.close();

    const reflPath = new URL(
      "../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto",
      import.meta.url,
    ).pathname;
    const reflDef = grpc.loadPackageDefinition(loadSync(reflPath)) as unknown as {
      grpc: {
        reflection: {
          v1: {
            ServerReflection: new (a: string, c: grpc.ChannelCredentials) => ReflectionClient;
          };
        };
      };
    };
    const refl = new reflDef.grpc.reflection.v1.ServerReflection(
      t.kb.grpcAddress,
      grpc.credentials.createInsecure(),
    );
    const stream = refl.serverReflectionInfo();
    const services = await new Promise<string[]>((resolve, reject) => {
      stream.on("data", (r: { listServicesResponse?: { service: { name: string }[] } }) => {
        resolve(r.listServicesResponse?.service.map((s) => s.name) ?? []);
        stream.end();
      });
      stream.on("error", reject);
      stream.write({ listServices: "*" });
    });
    refl.close();
    expect(services).toContain("qonnect.control.v1.Control");

    expect((await t.http("/healthz")).status).toBe(200);
    expect(await json(await t.http("/readyz"))).toEqual({ ready: true });
    const metrics = await (await t.http("/metrics")).text();
    expect(metrics).toMatch(/kb_api_requests_total/);
    const doc = await json(await t.http("/api/v1/openapi.json"));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/v1/applications/{name}", "/api/v1/watch", "/api/v1/plan"]),
    );
    expect(doc.components.schemas.Application.properties.spec).toBeTruthy();
    expect(doc.components.schemas.Signal.properties.spec.properties.quantity.enum).toEqual([
      "intensity",
      "price",
      "solar",
    ]);
  });

  it("a watch from a compacted version is OUT_OF_RANGE / 410", async () => {
    const c = t.client(t.tokens.operator);
    for (let i = 0; i < 5; i++) await c.apply(appYaml(`a${i}`));
    await t.kb.store.compact(2);
    const w = c.watch({ resourceVersion: 1 });
    const err = await (async () => {
      for await (const _ of w) return "no error";
    })().catch((e: KbClientError) => e.codeName);
    expect(err).toBe("OUT_OF_RANGE");
    const r = await t.http("/api/v1/watch?resourceVersion=1", { token: t.tokens.viewer });
    expect(r.status).toBe(410);
  });
});
