// A client of the control API over gRPC, for the CLI and tests: bearer token, TLS with a pinned CA or
// plaintext, deadlines, and errors as KbClientError with the gRPC code and the positioned problems.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { controlV1 } from "@qonnect/proto";
import { ERROR_DETAILS_TRAILER } from "../api/grpc-server.js";

export interface KbClientOptions {
  /** host:port of the gRPC listener. */
  server: string;
  token?: string;
  /** CA file to verify the server with; without it and without `insecure`, the system roots. */
  caFile?: string;
  insecure?: boolean;
  /** Per-call deadline, ms. Default 30 s. */
  timeoutMs?: number;
}

export class KbClientError extends Error {
  override name = "KbClientError";
  constructor(
    readonly code: grpc.status,
    readonly codeName: string,
    message: string,
    readonly problems: controlV1.Problem[],
  ) {
    super(message);
  }
}

function wrap(err: grpc.ServiceError, server: string): KbClientError {
  const raw = err.metadata?.get(ERROR_DETAILS_TRAILER)[0];
  const problems = raw instanceof Buffer ? controlV1.ErrorDetails.decode(raw).problems : [];
  const name = grpc.status[err.code] ?? String(err.code);
  const message =
    err.code === grpc.status.UNAVAILABLE
      ? `cannot reach the Knowledge Base at ${server}: is qonnect kb serve running there, with TLS (or --insecure) on both sides alike?`
      : err.details;
  return new KbClientError(err.code, name, message, problems);
}

export class KbClient {
  readonly raw: controlV1.ControlClient;
  readonly #o: KbClientOptions;

  constructor(o: KbClientOptions) {
    this.#o = o;
    const creds = o.insecure
      ? grpc.credentials.createInsecure()
      : grpc.credentials.createSsl(o.caFile ? readFileSync(o.caFile) : null);
    this.raw = new controlV1.ControlClient(o.server, creds);
  }

  #meta(): grpc.Metadata {
    const m = new grpc.Metadata();
    if (this.#o.token) m.set("authorization", `Bearer ${this.#o.token}`);
    return m;
  }

  #opts(): grpc.CallOptions {
    return { deadline: Date.now() + (this.#o.timeoutMs ?? 30_000) };
  }

  #unary<Req, Res>(method: string, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      const fn = (this.raw as unknown as Record<string, (...args: unknown[]) => void>)[method]!.bind(
        this.raw,
      );
      fn(req, this.#meta(), this.#opts(), (err: grpc.ServiceError | null, res: Res) =>
        err ? reject(wrap(err, this.#o.server)) : resolve(res),
      );
    });
  }

  apply(manifest: string, fileName = "", etag = ""): Promise<controlV1.ApplyResponse> {
    return this.#unary("apply", { manifest, fileName, etag });
  }
  get(name: string): Promise<controlV1.GetResponse> {
    return this.#unary("get", { name });
  }
  list(req: Partial<controlV1.ListRequest> & { collection: string }): Promise<controlV1.ListResponse> {
    return this.#unary("list", { namespace: "", labelSelector: "", pageSize: 0, pageToken: "", ...req });
  }
  delete(name: string, etag = ""): Promise<controlV1.DeleteResponse> {
    return this.#unary("delete", { name, etag });
  }
  plan(manifests: string[], explain = false): Promise<controlV1.PlanResponse> {
    return this.#unary("plan", { manifests, explain });
  }
  listEvents(req: Partial<controlV1.ListEventsRequest> = {}): Promise<controlV1.ListEventsResponse> {
    return this.#unary("listEvents", { object: "", pageSize: 0, pageToken: "", ...req });
  }
  createToken(role: string, description = "", ttlSeconds = 0): Promise<controlV1.CreateTokenResponse> {
    return this.#unary("createToken", { role, description, ttlSeconds });
  }

  /** A watch stream; iterate it, and cancel it (or `break`) to stop. No deadline. */
  watch(req: Partial<controlV1.WatchRequest>): AsyncIterable<controlV1.WatchResponse> & { cancel(): void } {
    const call = this.raw.watch(
      { collection: "", namespace: "", labelSelector: "", resourceVersion: 0, ...req },
      this.#meta(),
    );
    const server = this.#o.server;
    return {
      cancel: () => call.cancel(),
      async *[Symbol.asyncIterator]() {
        try {
          for await (const item of call as AsyncIterable<controlV1.WatchResponse>) yield item;
        } catch (err) {
          if ((err as grpc.ServiceError).code === grpc.status.CANCELLED) return;
          throw wrap(err as grpc.ServiceError, server);
        } finally {
          call.cancel();
        }
      },
    };
  }

  close(): void {
    this.raw.close();
  }
}
