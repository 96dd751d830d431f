// The REST API (hono), mirroring the control API: /api/v1/{collection}[/{name}], ETag/If-Match/412,
// server-sent events for watch, JSON errors {code, message, details}, the OpenAPI document, health, metrics.
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { CallContext, ControlApi } from "../api/control-api.js";
import { ApiError, HTTP_STATUS } from "../api/errors.js";
import { toApiObject } from "../api/resource-json.js";
import { mountDashboard } from "../dashboard/routes.js";
import { kindInfo } from "../kinds.js";
import type { KbMetrics } from "../metrics.js";
import type { TelemetryBacklog } from "../region/telemetry-history.js";
import type { Store } from "../store/store.js";
import { openApiDocument } from "./openapi.js";

export interface RestOptions {
  api: ControlApi;
  store: Store;
  metrics: KbMetrics;
  /** Whether the server is ready (store open, listeners up). */
  ready: () => boolean;
  nowMs: () => number;
  /** How far the telemetry history is behind each region (none without NATS). */
  telemetryBacklog?: () => Promise<TelemetryBacklog[]>;
}

const quote = (etag: string) => `"${etag}"`;
const unquote = (h: string | undefined) => (h ? h.replace(/^W\//, "").replace(/^"|"$/g, "") : undefined);

function callOf(c: Context): CallContext {
  const auth = c.req.header("authorization");
  const info = (c.env as { incoming?: { socket?: { remoteAddress?: string; remotePort?: number } } })
    ?.incoming?.socket;
  return {
    ...(auth ? { authorization: auth } : {}),
    peer: `http ${info?.remoteAddress ?? "?"}:${info?.remotePort ?? "?"}`,
  };
}

function errorBody(err: ApiError) {
  return { code: err.code, message: err.message, details: { problems: err.problems } };
}

export function restApp(o: RestOptions): Hono {
  const app = new Hono();
  mountDashboard(app, o); // the dashboard under / (and the session cookie for the API): src/dashboard/
  const count = (op: string, code: string) =>
    o.metrics.requests.inc({ transport: "http", operation: op, code });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      const ifMatch = c.req.header("if-match");
      // a failed If-Match is 412 Precondition Failed (RFC 9110), as the issue asks
      const status = err.code === "ABORTED" && ifMatch ? 412 : HTTP_STATUS[err.code];
      count(c.req.method, err.code);
      return c.json(errorBody(err), status as 400);
    }
    count(c.req.method, "INTERNAL");
    return c.json(
      { code: "INTERNAL", message: `internal error: ${err.message}`, details: { problems: [] } },
      500,
    );
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", (c) => (o.ready() ? c.json({ ready: true }) : c.json({ ready: false }, 503)));
  app.get("/metrics", async (c) => {
    c.header("content-type", o.metrics.registry.contentType);
    return c.body(await o.metrics.registry.metrics());
  });
  app.get("/api/v1/openapi.json", (c) => c.json(openApiDocument()));

  app.post("/api/v1/plan", async (c) => {
    const type = c.req.header("content-type") ?? "";
    let manifests: string[] = [];
    let explain = c.req.query("explain") === "true";
    if (type.includes("json")) {
      const body = (await c.req.json().catch(() => {
        throw new ApiError(
          "INVALID_ARGUMENT",
          'body is not JSON: send {"manifests": ["<yaml>"], "explain": true}',
        );
      })) as { manifests?: unknown; explain?: unknown };
      if (
        body.manifests !== undefined &&
        !(Array.isArray(body.manifests) && body.manifests.every((m) => typeof m === "string"))
      )
        throw new ApiError("INVALID_ARGUMENT", "manifests must be an array of YAML or JSON strings");
      manifests = (body.manifests as string[] | undefined) ?? [];
      explain ||= body.explain === true;
    } else {
      const text = await c.req.text();
      if (text.trim()) manifests = [text];
    }
    const out = await o.api.plan(callOf(c), { manifests, explain });
    count("POST", "OK");
    return c.json(out as Record<string, unknown>);
  });

  app.post("/api/v1/tokens", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as {
      role?: string;
      description?: string;
      ttlSeconds?: number;
    };
    const t = await o.api.createToken(callOf(c), {
      role: String(body.role ?? ""),
      ...(body.description ? { description: body.description } : {}),
      ...(body.ttlSeconds ? { ttlS: body.ttlSeconds } : {}),
    });
    count("POST", "OK");
    return c.json(t, 201);
  });

  app.get("/api/v1/watch", (c) => {
    const call = callOf(c);
    const fromHeader = c.req.header("last-event-id");
    const rv = Number(c.req.query("resourceVersion") ?? fromHeader ?? 0);
    if (!Number.isInteger(rv) || rv < 0)
      throw new ApiError("INVALID_ARGUMENT", "resourceVersion must be a whole number ≥ 0");
    const abort = new AbortController();
    const iterator = o.api.watch(
      call,
      {
        collection: c.req.query("collection") ?? "",
        labelSelector: c.req.query("labelSelector") ?? "",
        namespace: c.req.query("namespace") ?? "",
        resourceVersion: rv,
      },
      abort.signal,
    );
    // authenticate and check the resource version before the stream starts, so errors get a real status
    return iterator.next().then((first) => {
      count("WATCH", "OK");
      o.metrics.watchers.inc();
      return streamSSE(c, async (stream) => {
        stream.onAbort(() => abort.abort());
        try {
          let item = first;
          while (!item.done && !abort.signal.aborted) {
            const v = item.value;
            await stream.writeSSE({
              id: String(v.resourceVersion),
              event: v.type,
              data: JSON.stringify(
                v.change ? toApiObject(v.change.resource) : { resourceVersion: v.resourceVersion },
              ),
            });
            item = await iterator.next();
          }
        } catch (err) {
          if (err instanceof ApiError)
            await stream.writeSSE({ event: "ERROR", data: JSON.stringify(errorBody(err)) });
        } finally {
          abort.abort();
          await iterator.return(undefined);
          o.metrics.watchers.dec();
        }
      });
    });
  });

  app.get("/api/v1/events", async (c) => {
    const out = await o.api.listEvents(callOf(c), {
      ...(c.req.query("object") ? { object: c.req.query("object") } : {}),
      pageSize: Number(c.req.query("pageSize") ?? 0),
      ...(c.req.query("pageToken") ? { pageToken: c.req.query("pageToken") } : {}),
    });
    count("GET", "OK");
    return c.json(out);
  });

  app.get("/api/v1/devices/:name/series", async (c) => {
    await o.api.get(callOf(c), `devices/${c.req.param("name")}`);
    const now = o.nowMs();
    const from = Number(c.req.query("from") ?? now - 3_600_000);
    const to = Number(c.req.query("to") ?? now);
    if (!Number.isFinite(from) || !Number.isFinite(to))
      throw new ApiError("INVALID_ARGUMENT", "from and to are Unix milliseconds");
    const samples = await o.store.series(c.req.param("name"), from, to, 10_000);
    count("GET", "OK");
    return c.json({ device: c.req.param("name"), samples });
  });

  // the telemetry history (every sample by device and seq, from the regions' streams) and its completeness
  app.get("/api/v1/devices/:name/telemetry", async (c) => {
    await o.api.guardRead(callOf(c), "GetTelemetry");
    const now = o.nowMs();
    const from = Number(c.req.query("from") ?? now - 3_600_000);
    const to = Number(c.req.query("to") ?? now);
    const limit = Number(c.req.query("limit") ?? 10_000);
    if (!Number.isFinite(from) || !Number.isFinite(to) || !(limit >= 1 && limit <= 100_000))
      throw new ApiError("INVALID_ARGUMENT", "from and to are Unix milliseconds, limit is 1..100000");
    const device = c.req.param("name");
    const resolution = c.req.query("resolution") ?? "raw";
    if (resolution !== "raw" && resolution !== "1m")
      throw new ApiError(
        "INVALID_ARGUMENT",
        `resolution is raw (every sample) or 1m (per minute), not ${resolution}`,
      );
    const [coverage] = await o.store.telemetry.coverage(device);
    // samples older than the raw retention are only in the minutes
    const rows =
      resolution === "1m"
        ? { minutes: await o.store.telemetry.listMinutes(device, from, to, limit) }
        : { samples: await o.store.telemetry.list(device, from, to, limit) };
    count("GET", "OK");
    return c.json({ device, coverage: coverage ?? null, resolution, ...rows });
  });

  app.get("/api/v1/telemetry/coverage", async (c) => {
    await o.api.guardRead(callOf(c), "GetTelemetry");
    const [devices, regions] = await Promise.all([
      o.store.telemetry.coverage(),
      o.telemetryBacklog?.() ?? Promise.resolve([]),
    ]);
    count("GET", "OK");
    return c.json({ devices, missing: devices.reduce((n, d) => n + d.missing, 0), regions });
  });

  const collection = (c: Context) => {
    const info = kindInfo(c.req.param("collection") ?? "");
    if (!info || info.collection !== c.req.param("collection"))
      throw new ApiError(
        "NOT_FOUND",
        `no collection /api/v1/${c.req.param("collection")}; see /api/v1/openapi.json`,
      );
    return info;
  };
  const nameOf = (c: Context) => {
    const ns = c.req.query("namespace");
    const base = `${collection(c).collection}/${c.req.param("name")}`;
    return ns && ns !== "default" ? `namespaces/${ns}/${base}` : base;
  };

  app.get("/api/v1/:collection", async (c) => {
    const info = collection(c);
    const page = await o.api.list(callOf(c), {
      collection: info.collection,
      ...(c.req.query("namespace") ? { namespace: c.req.query("namespace") } : {}),
      labelSelector: c.req.query("labelSelector") ?? "",
      pageSize: Number(c.req.query("pageSize") ?? 0),
      pageToken: c.req.query("pageToken") ?? "",
    });
    count("GET", "OK");
    return c.json({
      items: page.items.map(toApiObject),
      nextPageToken: page.nextPageToken,
      resourceVersion: page.resourceVersion,
    });
  });

  app.get("/api/v1/:collection/:name", async (c) => {
    const r = await o.api.get(callOf(c), nameOf(c));
    count("GET", "OK");
    c.header("ETag", quote(r.etag));
    return c.json(toApiObject(r));
  });

  app.put("/api/v1/:collection/:name", async (c) => {
    const info = collection(c);
    const etag = unquote(c.req.header("if-match"));
    const out = await o.api.apply(callOf(c), {
      manifest: await c.req.text(),
      fileName: `PUT /api/v1/${info.collection}/${c.req.param("name")}`,
      ...(etag && etag !== "*" ? { etag } : {}),
      expect: { kind: info.kind, name: c.req.param("name") },
    });
    count("PUT", "OK");
    c.header("ETag", quote(out.resource.etag));
    return c.json(toApiObject(out.resource), out.created ? 201 : 200);
  });

  app.delete("/api/v1/:collection/:name", async (c) => {
    const etag = unquote(c.req.header("if-match"));
    const r = await o.api.delete(callOf(c), nameOf(c), etag && etag !== "*" ? etag : undefined);
    count("DELETE", "OK");
    return c.json(toApiObject(r));
  });

  app.notFound((c) =>
    c.json(
      {
        code: "NOT_FOUND",
        message: `no route ${c.req.method} ${c.req.path}; see /api/v1/openapi.json`,
        details: { problems: [] },
      },
      404,
    ),
  );
  return app;
}
