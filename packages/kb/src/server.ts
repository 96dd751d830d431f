// `qonnect kb serve`: the store, the control API over gRPC and REST, the watch hub, and (when enabled) the
// region link and the planning loop, wired together. TLS from files on both listeners unless `insecure`.
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { serve } from "@hono/node-server";
import { type Bundle, loadBundle, natsConnectOptions, rotatingClientCredentials } from "@qonnect/pki";
import type { Logger } from "pino";
import { ControlApi } from "./api/control-api.js";
import { EventLog } from "./api/event-log.js";
import { type GrpcServer, startGrpcServer } from "./api/grpc-server.js";
import { WatchHub } from "./api/watch-hub.js";
import { registerKbKinds } from "./kinds.js";
import { KbMetrics } from "./metrics.js";
import { dryRun } from "./planning/dry-run.js";
import { PlanningLoop, type PlanningLoopOptions } from "./planning/loop.js";
import { loadWorld } from "./planning/world.js";
import { FogClient } from "./region/fog-client.js";
import { SummaryConsumer, type SummaryConsumerOptions } from "./region/summaries.js";
import { TelemetryHistory, type TelemetryHistoryOptions } from "./region/telemetry-history.js";
import {
  checkRetention,
  TelemetryRetention,
  type TelemetryRetentionOptions,
} from "./region/telemetry-retention.js";
import { restApp } from "./rest/app.js";
import { openStore } from "./store/open.js";
import type { Store, StoredResource } from "./store/store.js";

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** Client CA: when given, gRPC asks clients for certificates (not required). */
  caFile?: string;
}

export interface KbServerOptions {
  dataDir: string;
  /** `sqlite` (default, in dataDir) or a `postgres://` URL. */
  store?: string;
  /** Postgres schema (tests). */
  schema?: string;
  grpc: string;
  http: string;
  tls?: TlsFiles;
  /**
   * The Knowledge Base's `qonnect enroll kb` bundle (enrolled with `--host` for its listen address): TLS on
   * both listeners with its certificate (gRPC asks clients for certificates of the CA, tokens still decide),
   * mutual TLS towards the fog leads (which must present fog certificates), NATS with its JWT credentials and
   * TLS with the CA pinned.
   */
  bundle?: string;
  /** Plaintext listeners; required when neither `tls` nor `bundle` is given. */
  insecure?: boolean;
  logger?: Logger;
  nowMs?: () => number;
  /** NATS servers carrying the regions' summaries (the live inventory). */
  nats?: string[];
  /** The planning loop (default on); options for tests and benchmarks. */
  planning?: false | Omit<PlanningLoopOptions, "store" | "events" | "metrics" | "fog" | "nowMs">;
  /** Summary handling options (tests). */
  summaries?: Omit<SummaryConsumerOptions, "store" | "events" | "status" | "metrics" | "loop" | "nowMs">;
  /**
   * The regions' telemetry into the history (default on when `nats` is given): every region known (Region
   * resources, from summaries) and these are followed.
   */
  telemetry?:
    | false
    | ({ regions?: string[] } & Pick<TelemetryHistoryOptions, "batch" | "retryMs" | "ackWaitMs">);
  /**
   * The telemetry history's retention (with the history): raw samples rolled up into minutes after `rawMs`
   * (default 7 days), minutes dropped after `minutesMs` (default 400 days), a round every `everyMs` (10 min).
   */
  telemetryRetention?:
    | false
    | (Pick<TelemetryRetentionOptions, "rawMs" | "minutesMs"> & { everyMs?: number });
  /** Extra wiring started after the APIs. */
  extensions?: ((kb: KbServer) => Promise<{ close(): Promise<void> }>)[];
}

export interface KbServer {
  store: Store;
  loop?: PlanningLoop;
  summaries?: SummaryConsumer;
  telemetry?: TelemetryHistory;
  api: ControlApi;
  hub: WatchHub;
  events: EventLog;
  metrics: KbMetrics;
  grpcPort: number;
  httpPort: number;
  grpcAddress: string;
  httpUrl: string;
  /** Subscribe to changes made through the API. */
  onChange(listener: (r: StoredResource) => void): void;
  close(): Promise<void>;
}

export class TlsConfigError extends Error {
  override name = "TlsConfigError";
}

function hostPort(address: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) throw new Error(`listen address "${address}" is not HOST:PORT (e.g. 127.0.0.1:7443)`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

export async function startKbServer(o: KbServerOptions): Promise<KbServer> {
  if (!o.tls && !o.bundle && !o.insecure)
    throw new TlsConfigError(
      "no TLS: pass --bundle DIR (qonnect enroll kb), or --tls-cert and --tls-key, or --insecure for plaintext (tests only)",
    );
  if (o.tls && o.bundle) throw new TlsConfigError("give either --bundle or --tls-cert/--tls-key, not both");
  const bundle: Bundle | undefined = o.bundle ? loadBundle(o.bundle) : undefined;
  if (bundle && bundle.identity.role !== "kb")
    throw new TlsConfigError(
      `${o.bundle} holds a ${bundle.identity.role} identity; the Knowledge Base needs one from 'qonnect enroll kb'`,
    );
  if (o.telemetryRetention) checkRetention(o.telemetryRetention.rawMs, o.telemetryRetention.minutesMs);
  registerKbKinds();
  const nowMs = o.nowMs ?? Date.now;
  const tls = bundle
    ? { cert: Buffer.from(bundle.certPem), key: Buffer.from(bundle.keyPem), ca: Buffer.from(bundle.caPem) }
    : o.tls
      ? {
          cert: readFileSync(o.tls.certFile),
          key: readFileSync(o.tls.keyFile),
          ca: o.tls.caFile ? readFileSync(o.tls.caFile) : undefined,
        }
      : undefined;
  const store = await openStore(o.store ?? "sqlite", o.dataDir, o.schema ? { schema: o.schema } : {});
  const metrics = new KbMetrics();
  const hub = new WatchHub(store);
  await hub.start();
  const events = new EventLog(store, nowMs);
  const listeners: ((r: StoredResource) => void)[] = [];
  const api = new ControlApi({
    store,
    events,
    hub,
    nowMs,
    dryRun: async (manifests, explain) => {
      const now = nowMs();
      const loop = kb.loop;
      if (loop) await loop.cache.refresh();
      const world = loop ? loop.cache.world(now) : await loadWorld(store, now);
      return dryRun(world, manifests, explain, now);
    },
    onChange: (r) => {
      for (const l of listeners) l(r);
    },
  });
  let ready = false;
  const creds = tls
    ? grpc.ServerCredentials.createSsl(
        tls.ca ?? null,
        [{ private_key: tls.key, cert_chain: tls.cert }],
        false,
      )
    : grpc.ServerCredentials.createInsecure();
  let grpcServer: GrpcServer;
  try {
    grpcServer = await startGrpcServer(api, o.grpc, creds);
  } catch (err) {
    await hub.close();
    await store.close();
    throw err;
  }
  const { host, port } = hostPort(o.http);
  let telemetryHistory: TelemetryHistory | undefined; // started after the listeners
  const app = restApp({
    api,
    store,
    metrics,
    ready: () => ready,
    nowMs,
    telemetryBacklog: async () => (await telemetryHistory?.backlog()) ?? [],
  });
  const httpServer = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = tls
      ? serve(
          {
            fetch: app.fetch,
            hostname: host,
            port,
            createServer: createHttpsServer,
            serverOptions: { cert: tls.cert, key: tls.key },
          },
          () => resolve(s),
        )
      : serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once("error", reject);
  });
  const httpPort = (httpServer.address() as AddressInfo).port;
  const grpcHost = hostPort(o.grpc).host;
  const kb: KbServer = {
    store,
    api,
    hub,
    events,
    metrics,
    grpcPort: grpcServer.port,
    httpPort,
    grpcAddress: `${grpcHost}:${grpcServer.port}`,
    httpUrl: `${tls ? "https" : "http"}://${host}:${httpPort}`,
    onChange: (l) => listeners.push(l),
    close: async () => {
      ready = false;
      for (const e of extras.reverse()) await e.close().catch(() => {});
      await grpcServer.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        (httpServer as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await hub.close();
      await store.close();
    },
  };
  const extras: { close(): Promise<void> }[] = [];
  if (o.planning !== false) {
    // the fog leads are dialled with credentials that follow the bundle: a rotated kb certificate is used
    // by the next call, without a restart
    const fogCredentials = bundle
      ? rotatingClientCredentials(bundle, { expectServer: (peer) => peer.role === "fog" })
      : undefined;
    const fog = new FogClient(fogCredentials ? { credentials: fogCredentials } : {});
    const loop = new PlanningLoop({ store, events, metrics, fog, nowMs, ...(o.planning ?? {}) });
    kb.loop = loop;
    // planning follows the store's change log, so writes made through any server sharing the store count;
    // only changes of what people own (a new generation, a deletion) trigger it, not status updates
    const generations = new Map<string, number>();
    const unsubscribe = hub.subscribe((changes) => {
      for (const c of changes) {
        const r = c.resource;
        if (!["Application", "Job", "Inventory", "Signal", "Region"].includes(r.kind)) continue;
        const key = `${r.kind}/${r.namespace}/${r.name}`;
        if (c.type !== "DELETED" && generations.get(key) === r.generation) continue;
        if (c.type === "DELETED") generations.delete(key);
        else generations.set(key, r.generation);
        if (r.kind === "Application" || r.kind === "Job") loop.trigger(r.name, `${r.kind} ${r.name} changed`);
        else loop.trigger("all", `${r.kind} ${r.name} changed`);
      }
    });
    extras.push({ close: async () => unsubscribe() });
    if (o.nats?.length) {
      const summaries = new SummaryConsumer({
        store,
        events,
        status: loop.status,
        metrics,
        loop,
        nowMs,
        ...(o.summaries ?? {}),
      });
      await summaries.start(o.nats, bundle ? natsConnectOptions(bundle, o.nats) : {});
      kb.summaries = summaries;
      extras.push(summaries);
    }
    extras.push({
      close: async () => {
        await loop.close();
        fog.close();
        fogCredentials?.close();
      },
    });
    loop.start();
  }
  if (o.nats?.length && o.telemetry !== false) {
    const telemetry = new TelemetryHistory({
      store,
      metrics,
      nowMs,
      log: o.logger,
      ...(o.telemetry ?? {}),
    });
    await telemetry.start(o.nats, bundle ? natsConnectOptions(bundle, o.nats) : {});
    kb.telemetry = telemetry;
    telemetryHistory = telemetry;
    if (o.telemetryRetention !== false) {
      const { everyMs, ...limits } = o.telemetryRetention ?? {};
      const retention = new TelemetryRetention({
        store: store.telemetry,
        nowMs,
        metrics,
        ...(o.logger ? { log: o.logger } : {}),
        ...limits,
      });
      retention.start(everyMs);
      extras.push(retention);
    }
    extras.push(telemetry);
    // every region there is: the ones configured, the stored ones, and each new one (its first summary)
    for (const region of o.telemetry?.regions ?? []) telemetry.follow(region);
    const unsubscribe = hub.subscribe((changes) => {
      for (const c of changes)
        if (c.resource.kind === "Region" && c.type !== "DELETED") telemetry.follow(c.resource.name);
    });
    extras.push({ close: async () => unsubscribe() });
    let pageToken: string | undefined;
    do {
      const page = await store.list("Region", { pageSize: 500, ...(pageToken ? { pageToken } : {}) });
      for (const r of page.items) telemetry.follow(r.name);
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
  }
  for (const ext of o.extensions ?? []) extras.push(await ext(kb));
  ready = true;
  o.logger?.info(
    {
      grpc: kb.grpcAddress,
      http: kb.httpUrl,
      store: store.flavour,
      tls: Boolean(tls),
      identity: bundle ? `spiffe://qonnect/${bundle.identity.region}/kb/${bundle.identity.id}` : "none",
    },
    "kb serving",
  );
  return kb;
}
