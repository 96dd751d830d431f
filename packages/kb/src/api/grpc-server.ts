// `qonnect.control.v1.Control` over gRPC: a thin adapter over ControlApi, plus grpc.health.v1 and server
// reflection (so grpcurl-style tools work without .proto files at hand).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { controlV1 } from "@qonnect/proto";
import { HealthImplementation } from "grpc-health-check";
import type { StoredResource } from "../store/store.js";
import type { CallContext, ControlApi } from "./control-api.js";
import { type ApiCode, ApiError } from "./errors.js";
import { toApiObject } from "./resource-json.js";

const GRPC_CODE: Record<ApiCode, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  ABORTED: grpc.status.ABORTED,
  OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
};

export const ERROR_DETAILS_TRAILER = "qonnect-error-details-bin";

/** The same object as REST's, with spec and status as protobuf Structs (objects only). */
export function toProtoResource(r: StoredResource): controlV1.Resource {
  const obj = (v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const api = toApiObject(r);
  return { ...api, spec: obj(api.spec), status: obj(api.status) };
}

function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof ApiError) {
    const metadata = new grpc.Metadata();
    if (err.problems.length)
      metadata.set(
        ERROR_DETAILS_TRAILER,
        Buffer.from(controlV1.ErrorDetails.encode({ problems: err.problems }).finish()),
      );
    return { code: GRPC_CODE[err.code], details: err.message, metadata };
  }
  return { code: grpc.status.INTERNAL, details: `internal error: ${(err as Error).message}` };
}

function context(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
): CallContext {
  const auth = call.metadata.get("authorization")[0];
  return { ...(typeof auth === "string" ? { authorization: auth } : {}), peer: `grpc ${call.getPeer()}` };
}

function unary<Req, Res>(fn: (ctx: CallContext, req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(context(call), call.request).then(
      (res) => callback(null, res),
      (err) => callback(toServiceError(err)),
    );
  };
}

export function controlHandlers(api: ControlApi): controlV1.ControlServer {
  return {
    apply: unary(async (ctx, req: controlV1.ApplyRequest) => {
      const out = await api.apply(ctx, {
        manifest: req.manifest,
        fileName: req.fileName,
        ...(req.etag ? { etag: req.etag } : {}),
      });
      return { resource: toProtoResource(out.resource), created: out.created, changed: out.changed };
    }),
    get: unary(async (ctx, req: controlV1.GetRequest) => ({
      resource: toProtoResource(await api.get(ctx, req.name)),
    })),
    list: unary(async (ctx, req: controlV1.ListRequest) => {
      const page = await api.list(ctx, {
        collection: req.collection,
        namespace: req.namespace,
        labelSelector: req.labelSelector,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return {
        resources: page.items.map(toProtoResource),
        nextPageToken: page.nextPageToken,
        resourceVersion: page.resourceVersion,
      };
    }),
    delete: unary(async (ctx, req: controlV1.DeleteRequest) => ({
      resource: toProtoResource(await api.delete(ctx, req.name, req.etag || undefined)),
    })),
    plan: unary(async (ctx, req: controlV1.PlanRequest) => {
      const out = (await api.plan(ctx, {
        manifests: req.manifests,
        explain: req.explain,
      })) as controlV1.PlanResponse;
      return out;
    }),
    watch: (call: grpc.ServerWritableStream<controlV1.WatchRequest, controlV1.WatchResponse>) => {
      const abort = new AbortController();
      call.on("cancelled", () => abort.abort());
      call.on("close", () => abort.abort());
      const req = call.request;
      const TYPE = {
        ADDED: controlV1.ChangeType.CHANGE_TYPE_ADDED,
        MODIFIED: controlV1.ChangeType.CHANGE_TYPE_MODIFIED,
        DELETED: controlV1.ChangeType.CHANGE_TYPE_DELETED,
        BOOKMARK: controlV1.ChangeType.CHANGE_TYPE_BOOKMARK,
      };
      (async () => {
        for await (const item of api.watch(
          context(call),
          {
            collection: req.collection,
            namespace: req.namespace,
            labelSelector: req.labelSelector,
            resourceVersion: req.resourceVersion,
          },
          abort.signal,
        )) {
          const ok = call.write({
            type: TYPE[item.type],
            resourceVersion: item.resourceVersion,
            ...(item.change ? { resource: toProtoResource(item.change.resource) } : {}),
          });
          if (!ok) await new Promise((r) => call.once("drain", r));
        }
        call.end();
      })().catch((err) => {
        if (!abort.signal.aborted) call.emit("error", toServiceError(err));
      });
    },
    listEvents: unary(async (ctx, req: controlV1.ListEventsRequest) => {
      const out = await api.listEvents(ctx, {
        object: req.object,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return {
        events: out.events.map((e) => ({
          name: e.name,
          timeMs: e.timeMs,
          type: e.type,
          reason: e.reason,
          message: e.message,
          object: e.object,
          resourceVersion: e.resourceVersion,
        })),
        nextPageToken: out.nextPageToken,
      };
    }),
    createToken: unary(async (ctx, req: controlV1.CreateTokenRequest) => {
      const t = await api.createToken(ctx, {
        role: req.role,
        description: req.description,
        ttlS: req.ttlSeconds,
      });
      return { token: t.token, id: t.id, role: t.role, expireTimeMs: t.expireTimeMs };
    }),
  };
}

/** The repository's proto/ directory, when present (reflection serves descriptors built from it). */
function protoRoot(): string | undefined {
  const dir = fileURLToPath(new URL("../../../../proto", import.meta.url));
  return existsSync(`${dir}/qonnect/control/v1/control.proto`) ? dir : undefined;
}

export interface GrpcServer {
  server: grpc.Server;
  health: HealthImplementation;
  port: number;
  reflection: boolean;
  close(): Promise<void>;
}

export async function startGrpcServer(
  api: ControlApi,
  address: string,
  credentials: grpc.ServerCredentials,
): Promise<GrpcServer> {
  const server = new grpc.Server();
  server.addService(controlV1.ControlService, controlHandlers(api));
  const health = new HealthImplementation({ "": "SERVING", "qonnect.control.v1.Control": "SERVING" });
  health.addToServer(server);
  const root = protoRoot();
  if (root) {
    const def = loadSync("qonnect/control/v1/control.proto", { includeDirs: [root] });
    new ReflectionService(def).addToServer(server);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    server,
    health,
    port,
    reflection: Boolean(root),
    close: () =>
      new Promise<void>((resolve) => {
        health.setStatus("", "NOT_SERVING");
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
