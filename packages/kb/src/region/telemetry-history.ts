// The regions' telemetry → the Knowledge Base's telemetry history (DESIGN.md §5). For every region it knows,
// the Knowledge Base owns a history stream in its own JetStream (the cloud domain) that sources the region's
// stream across the leafnode link (`historyStreamConfig`), and reads it with a durable pull consumer: a batch
// is committed to the store first and acknowledged after, so a crash in between redelivers it and the store,
// keyed by (device, seq), ignores what it already has — no gap, no duplicate.
import { ensureStream, historyStreamConfig, historyStreamName } from "@qonnect/pki";
import { telemetryV1 } from "@qonnect/proto";
import {
  AckPolicy,
  type ConnectionOptions,
  connect,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  nanos,
} from "nats";
import type { KbMetrics } from "../metrics.js";
import type { Store } from "../store/store.js";
import type { TelemetryRecord } from "../store/telemetry-store.js";

/** The durable consumer of every history stream (servers sharing one store share its work). */
export const TELEMETRY_CONSUMER = "kb-telemetry";

export interface TelemetryHistoryLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface TelemetryHistoryOptions {
  store: Store;
  metrics: KbMetrics;
  nowMs: () => number;
  log?: TelemetryHistoryLog;
  /** Messages per fetch. Default 512. */
  batch?: number;
  /** Retry period after a failure (no JetStream yet, store down). Default 2000 ms. */
  retryMs?: number;
  /**
   * How long a delivered sample may stay unacknowledged before JetStream delivers it again. A batch lost on
   * its way (the cloud server carrying it died) is a gap in the history for this long. Default 10000 ms.
   */
  ackWaitMs?: number;
  /** How long to wait for three cloud servers to place the history stream on before taking one. Default 60 s. */
  placementWaitMs?: number;
}

/** How far the history is behind a region's stream: what an operator reads to tell "late" from "lost". */
export interface TelemetryBacklog {
  region: string;
  /** Samples in the history stream not yet delivered to the Knowledge Base. */
  pendingSamples: number;
  /** Delivered and not yet acknowledged (stored): redelivered after `ackWaitMs` if they went missing. */
  unacknowledgedSamples: number;
  /** Samples delivered more than once so far (a lost batch, or a store failure). */
  redeliveredSamples: number;
  ackWaitMs: number;
  /** Set when the consumer cannot be read (no JetStream yet, a server down): why. */
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const DEFAULT_ACK_WAIT_MS = 10_000;

export class TelemetryHistory {
  #nc: NatsConnection | undefined;
  #closed = false;
  #regions = new Map<string, Promise<void>>();
  /** Since when an R3 history stream could not be placed, per region. */
  #placementSinceMs = new Map<string, number>();
  /** The JetStream domain of the servers we talk to (the cloud's): undefined for a single dev server. */
  #domain: string | undefined | null = null;
  readonly #quiet = { info: () => {}, warn: () => {} };

  constructor(readonly o: TelemetryHistoryOptions) {}

  /** `secured`: nats.js options from the kb bundle (TLS, CA pinned, JWT creds); plaintext without. */
  async start(servers: string[], secured: ConnectionOptions = {}): Promise<void> {
    this.#nc = await connect({ ...secured, servers, name: "qonnect-kb-telemetry", maxReconnectAttempts: -1 });
  }

  /** Starts reading `region`'s telemetry (idempotent; retries in the background until it works). */
  follow(region: string): void {
    if (this.#closed || this.#regions.has(region)) return;
    this.#regions.set(region, this.#run(region));
    this.o.metrics.telemetryRegions.set(this.#regions.size);
  }

  get regions(): string[] {
    return [...this.#regions.keys()];
  }

  /** Each followed region's backlog, read from its durable consumer. */
  async backlog(): Promise<TelemetryBacklog[]> {
    const ackWaitMs = this.o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    if (this.regions.length === 0) return [];
    // one manager for every region, without the API probe a default one makes first
    const jsm = this.#nc?.jetstreamManager({ timeout: 2000, checkAPI: false });
    return Promise.all(
      this.regions.map(async (region): Promise<TelemetryBacklog> => {
        const empty = {
          region,
          pendingSamples: 0,
          unacknowledgedSamples: 0,
          redeliveredSamples: 0,
          ackWaitMs,
        };
        try {
          if (!jsm) throw new Error("not started");
          const info = await (await jsm).consumers.info(historyStreamName(region), TELEMETRY_CONSUMER);
          return {
            ...empty,
            pendingSamples: info.num_pending,
            unacknowledgedSamples: info.num_ack_pending,
            redeliveredSamples: info.num_redelivered,
          };
        } catch (err) {
          return { ...empty, error: (err as Error).message };
        }
      }),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#regions.values());
    await this.#nc?.close();
  }

  async #run(region: string): Promise<void> {
    const log = this.o.log ?? this.#quiet;
    const retryMs = this.o.retryMs ?? 2000;
    let failing = "";
    while (!this.#closed) {
      try {
        const nc = this.#nc;
        if (!nc) throw new Error("not started");
        await this.#ensure(await nc.jetstreamManager(), region);
        const consumer = await nc.jetstream().consumers.get(historyStreamName(region), TELEMETRY_CONSUMER);
        if (failing) log.info({ region }, "reading the region's telemetry again");
        failing = "";
        while (!this.#closed) {
          const batch = await consumer.fetch({ max_messages: this.o.batch ?? 512, expires: 1000 });
          const msgs: JsMsg[] = [];
          for await (const m of batch) msgs.push(m);
          if (msgs.length > 0) await this.#store(region, msgs);
        }
      } catch (err) {
        const message = (err as Error).message;
        if (message !== failing)
          log.warn({ region, err: message, retryMs }, "cannot read the region's telemetry yet; retrying");
        failing = message;
        if (!this.#closed) await sleep(retryMs);
      }
    }
  }

  /** The history stream (sourcing the region's stream) and the durable consumer on it. */
  async #ensure(jsm: JetStreamManager, region: string): Promise<void> {
    if (this.#domain === null) this.#domain = (await jsm.getAccountInfo()).domain ?? undefined;
    const sourceDomain = this.#domain ? region : undefined;
    try {
      // replicated across the cloud cluster, so losing one cloud server loses no history
      await ensureStream(jsm, historyStreamConfig(region, { sourceDomain, replicas: this.#domain ? 3 : 1 }));
      this.#placementSinceMs.delete(region);
    } catch (err) {
      const message = (err as Error).message;
      // a fresh cluster's meta leader may not know all three servers yet: wait for them (the loop retries)
      // rather than settle for one replica for good; a cluster that stays short of three gets one
      if (/no suitable peers/i.test(message)) {
        const since = this.#placementSinceMs.get(region) ?? this.o.nowMs();
        this.#placementSinceMs.set(region, since);
        if (this.o.nowMs() - since < (this.o.placementWaitMs ?? 60_000)) throw err;
      } else if (!/replica|insufficient resources/i.test(message)) throw err;
      this.o.log?.warn(
        { region, err: message },
        "the history stream gets one replica: the cloud cluster cannot place three",
      );
      await ensureStream(jsm, historyStreamConfig(region, { sourceDomain, replicas: 1 }));
    }
    const stream = historyStreamName(region);
    const ackWait = nanos(this.o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS);
    const existing = await jsm.consumers.info(stream, TELEMETRY_CONSUMER).catch((err: Error) => {
      if (/not found/i.test(err.message)) return undefined;
      throw err;
    });
    if (existing) {
      // made by an older version (30 s): the ack wait is the one setting that may change in place
      if (existing.config.ack_wait !== ackWait)
        await jsm.consumers.update(stream, TELEMETRY_CONSUMER, { ack_wait: ackWait });
      return;
    }
    await jsm.consumers.add(stream, {
      durable_name: TELEMETRY_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ackWait,
      max_ack_pending: 20_000,
    });
  }

  /** Commits the batch, then acknowledges it; a message that is not telemetry is terminated and counted. */
  async #store(region: string, msgs: JsMsg[]): Promise<void> {
    const receivedMs = this.o.nowMs();
    const records: TelemetryRecord[] = [];
    const good: JsMsg[] = [];
    for (const m of msgs) {
      try {
        const t = telemetryV1.DeviceTelemetry.decode(m.data);
        if (!t.device || !Number.isFinite(t.seq)) throw new Error("no device or seq");
        records.push({
          device: t.device,
          seq: t.seq,
          region,
          tsMs: t.tsMs,
          receivedMs,
          late: t.late,
          powerW: t.powerW,
          busVoltageV: t.busVoltageV,
          currentA: t.currentA,
          cpuUtil: t.cpuUtil,
          memoryUsedBytes: t.memoryUsedBytes,
          soc: t.battery ? t.battery.soc : null,
          solarExcessW: t.solarExcessW,
        });
        good.push(m);
      } catch {
        m.term();
        this.o.metrics.telemetrySamples.inc({ outcome: "dropped" });
      }
    }
    let added: number;
    try {
      added = await this.o.store.telemetry.add(records);
    } catch (err) {
      // not stored: redelivered in a second (and the loop backs off)
      for (const m of good) m.nak(1000);
      throw err;
    }
    for (const m of good) m.ack();
    this.o.metrics.telemetrySamples.inc({ outcome: "stored" }, added);
    this.o.metrics.telemetrySamples.inc({ outcome: "duplicate" }, records.length - added);
  }
}
