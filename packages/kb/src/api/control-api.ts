// The control API's operations, independent of transport: gRPC (grpc-server.ts) and REST (rest/) are thin
// adapters over this. Every call authenticates, authorises by role, and records refusals as events.
import { type ExtensionManifest, type Manifest, validateText } from "@qonnect/core";
import { kindInfo, kindOf } from "../kinds.js";
import { encodePageToken } from "../store/rows.js";
import { matches, parseSelector, SelectorError } from "../store/selector.js";
import {
  CompactedError,
  EtagMismatchError,
  NotFoundError,
  PageTokenError,
  type Role,
  type Store,
  type StoredResource,
} from "../store/store.js";
import {
  AuthError,
  authenticate,
  authorize,
  type CreatedToken,
  createToken,
  isRole,
  type Principal,
} from "./auth.js";
import { ApiError, problemsOf } from "./errors.js";
import type { EventLog, EventSpec } from "./event-log.js";
import { formatName, parseName } from "./names.js";
import type { WatchHub, WatchItem } from "./watch-hub.js";

export interface CallContext {
  /** The `authorization` header or metadata value. */
  authorization?: string;
  /** Who called, for the event log: `grpc 127.0.0.1:5555`, `http 127.0.0.1:5555`. */
  peer: string;
}

export interface ApplyResult {
  resource: StoredResource;
  created: boolean;
  changed: boolean;
}

export interface ListInput {
  collection: string;
  namespace?: string;
  labelSelector?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface WatchInput {
  collection?: string;
  namespace?: string;
  labelSelector?: string;
  resourceVersion?: number;
}

/** Dry-run planning, provided by the planning loop (so the API does not depend on it). */
export type DryRun = (
  manifests: { kind: string; name: string; spec: unknown }[],
  explain: boolean,
) => Promise<unknown>;

export interface ControlApiOptions {
  store: Store;
  events: EventLog;
  hub: WatchHub;
  nowMs: () => number;
  dryRun: DryRun;
  /** Called after every change made through the API (the planning loop listens). */
  onChange?: (r: StoredResource) => void;
}

export class ControlApi {
  constructor(readonly o: ControlApiOptions) {}

  /** Authenticates and authorises; a refusal is recorded as an event (without the token) and thrown. */
  async #guard(call: CallContext, need: Role, what: string): Promise<Principal> {
    try {
      const p = await authenticate(this.o.store, call.authorization, this.o.nowMs());
      authorize(p, need, what);
      return p;
    } catch (err) {
      if (err instanceof AuthError)
        await this.o.events
          .record({
            type: "Warning",
            reason: err.code === "UNAUTHENTICATED" ? "Unauthenticated" : "PermissionDenied",
            message: `${what} from ${call.peer} refused: ${err.why}`,
            object: "",
          })
          .catch(() => {});
      throw err;
    }
  }

  async apply(
    call: CallContext,
    input: { manifest: string; fileName?: string; etag?: string; expect?: { kind: string; name: string } },
  ): Promise<ApplyResult> {
    const file = input.fileName || "<request>";
    const result = validateText(input.manifest, file);
    if (!result.ok) {
      // authenticate first: an anonymous caller learns nothing about validation
      await this.#guard(call, "viewer", "Apply");
      throw new ApiError(
        "INVALID_ARGUMENT",
        result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join("\n"),
        problemsOf(result.diagnostics),
      );
    }
    const docs: (Manifest | ExtensionManifest)[] = [
      ...result.documents.map((d) => d.manifest),
      ...result.extensions.map((d) => d.manifest),
    ];
    if (docs.length !== 1)
      throw new ApiError("INVALID_ARGUMENT", `${file}: one document per Apply, found ${docs.length}`);
    const m = docs[0]!;
    const info = kindOf(m.kind);
    if (info?.source !== "user")
      throw new ApiError(
        "INVALID_ARGUMENT",
        `${file}: kind ${m.kind} cannot be applied${info ? " (the Knowledge Base writes it)" : ""}; apply Application, Job, Inventory, Signal or Region`,
      );
    await this.#guard(call, info.writeRole, `Apply ${m.kind}`);
    if (input.expect && (input.expect.kind !== m.kind || input.expect.name !== m.metadata.name))
      throw new ApiError(
        "INVALID_ARGUMENT",
        `${file}: the manifest is ${m.kind} ${m.metadata.name} but the path names ${input.expect.kind} ${input.expect.name}`,
      );
    const key = { kind: m.kind, namespace: m.metadata.namespace ?? "default", name: m.metadata.name };
    const meta = m.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
    try {
      // the resource, its watch entry and the event that says so: one transaction
      const [o] = await this.o.store.commit({
        nowMs: this.o.nowMs(),
        ops: [
          {
            op: "put",
            input: {
              ...key,
              labels: meta.labels ?? {},
              annotations: meta.annotations ?? {},
              spec: m.spec ?? null,
            },
            ...(input.etag ? { etag: input.etag } : {}),
          },
        ],
        followUp: ([r]) =>
          r?.changed
            ? [
                this.o.events.op({
                  type: "Normal",
                  reason: r.created ? "Created" : "Applied",
                  message: `${m.kind} ${key.name} ${r.created ? "created" : `updated to generation ${r.resource!.generation}`}`,
                  object: formatName(key),
                }),
              ]
            : [],
      });
      const out = { resource: o!.resource!, created: o!.created, changed: o!.changed };
      if (out.changed) {
        this.o.hub.poke();
        this.o.onChange?.(out.resource);
      }
      return out;
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async get(call: CallContext, name: string): Promise<StoredResource> {
    await this.#guard(call, "viewer", "Get");
    const key = parseName(name);
    const r = await this.o.store.get(key);
    if (!r)
      throw new ApiError(
        "NOT_FOUND",
        `${name} not found; list them with qonnect get ${kindInfo(key.kind)?.collection}`,
      );
    return r;
  }

  async list(call: CallContext, input: ListInput) {
    await this.#guard(call, "viewer", "List");
    const info = kindInfo(input.collection);
    if (!info) throw new ApiError("INVALID_ARGUMENT", `unknown collection "${input.collection}"`);
    try {
      return await this.o.store.list(info.kind, {
        ...(input.namespace ? { namespace: input.namespace } : {}),
        selector: parseSelector(input.labelSelector),
        ...(input.pageSize ? { pageSize: input.pageSize } : {}),
        ...(input.pageToken ? { pageToken: input.pageToken } : {}),
      });
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async delete(call: CallContext, name: string, etag?: string): Promise<StoredResource> {
    const key = parseName(name);
    await this.#guard(call, kindOf(key.kind)!.writeRole, `Delete ${key.kind}`);
    try {
      const [o] = await this.o.store.commit({
        nowMs: this.o.nowMs(),
        ops: [{ op: "delete", key, ...(etag ? { etag } : {}) }],
        followUp: () => [
          this.o.events.op({
            type: "Normal",
            reason: "Deleted",
            message: `${key.kind} ${key.name} deleted`,
            object: formatName(key),
          }),
        ],
      });
      const r = o!.resource!;
      this.o.hub.poke();
      this.o.onChange?.(r);
      return r;
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async plan(call: CallContext, input: { manifests: string[]; explain: boolean }): Promise<unknown> {
    // a dry run changes nothing, so viewers may ask for one (DESIGN.md §10)
    await this.#guard(call, "viewer", "Plan");
    const parsed: { kind: string; name: string; spec: unknown }[] = [];
    const problems = [];
    for (const [i, text] of input.manifests.entries()) {
      const r = validateText(text, `<manifest ${i + 1}>`);
      problems.push(...r.diagnostics);
      for (const d of r.documents)
        if (d.manifest.kind === "Application" || d.manifest.kind === "Job")
          parsed.push({ kind: d.manifest.kind, name: d.manifest.metadata.name, spec: d.manifest.spec });
    }
    if (problems.length)
      throw new ApiError(
        "INVALID_ARGUMENT",
        problems.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join("\n"),
        problemsOf(problems),
      );
    return this.o.dryRun(parsed, input.explain);
  }

  async *watch(call: CallContext, input: WatchInput, signal: AbortSignal): AsyncGenerator<WatchItem> {
    await this.#guard(call, "viewer", "Watch");
    const info = input.collection ? kindInfo(input.collection) : undefined;
    if (input.collection && !info)
      throw new ApiError("INVALID_ARGUMENT", `unknown collection "${input.collection}"`);
    let selector: ReturnType<typeof parseSelector>;
    try {
      selector = parseSelector(input.labelSelector);
    } catch (err) {
      throw mapStoreError(err);
    }
    try {
      for await (const item of this.o.hub.watch(input.resourceVersion ?? 0, signal)) {
        const r = item.change?.resource;
        if (r) {
          if (info && r.kind !== info.kind) continue;
          if (input.namespace && r.namespace !== input.namespace) continue;
          if (!matches(selector, r.labels)) continue;
        }
        yield item;
      }
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  async listEvents(call: CallContext, input: { object?: string; pageSize?: number; pageToken?: string }) {
    await this.#guard(call, "viewer", "ListEvents");
    const size = input.pageSize && input.pageSize > 0 ? Math.min(1000, input.pageSize) : 100;
    const events: (EventSpec & { name: string; resourceVersion: number })[] = [];
    let token = input.pageToken ?? "";
    try {
      // events about one object are a filter over the time-ordered list
      for (;;) {
        const page = await this.o.store.list("Event", {
          pageSize: 500,
          ...(token ? { pageToken: token } : {}),
        });
        for (const r of page.items) {
          const spec = r.spec as EventSpec;
          if (input.object && spec.object !== input.object) continue;
          events.push({ ...spec, name: r.name, resourceVersion: r.resourceVersion });
        }
        token = page.nextPageToken;
        if (!token || events.length >= size) break;
      }
    } catch (err) {
      throw mapStoreError(err);
    }
    // the page token continues after the last event returned
    const page = events.slice(0, size);
    const more = events.length > size || token !== "";
    const last = page[page.length - 1];
    return { events: page, nextPageToken: more && last ? encodePageToken("default", last.name) : "" };
  }

  async createToken(
    call: CallContext,
    input: { role: string; description?: string; ttlS?: number },
  ): Promise<CreatedToken> {
    await this.#guard(call, "admin", "CreateToken");
    if (!isRole(input.role))
      throw new ApiError("INVALID_ARGUMENT", `role must be viewer, operator or admin, not "${input.role}"`);
    const t = await createToken(this.o.store, input.role, {
      nowMs: this.o.nowMs(),
      ...(input.description ? { description: input.description } : {}),
      ...(input.ttlS ? { ttlS: input.ttlS } : {}),
    });
    await this.o.events.record({
      type: "Normal",
      reason: "TokenCreated",
      message: `token ${t.id} (${t.role}) created`,
      object: "",
    });
    return t;
  }
}

export function mapStoreError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof EtagMismatchError) return new ApiError("ABORTED", err.message);
  if (err instanceof NotFoundError) return new ApiError("NOT_FOUND", `${formatName(err.key)} not found`);
  if (err instanceof CompactedError) return new ApiError("OUT_OF_RANGE", err.message);
  if (err instanceof PageTokenError || err instanceof SelectorError)
    return new ApiError("INVALID_ARGUMENT", err.message);
  return err;
}
