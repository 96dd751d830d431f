// One outbound client stream to one peer: a bounded queue in front of a gRPC client stream that reopens itself
// with exponential backoff. Messages queued while the stream is down (in backoff) are dropped, as etcd's
// transport does: Raft re-sends what matters, and stale heartbeats are better lost than delivered late.
import type { ClientWritableStream } from "@grpc/grpc-js";
import type { Message } from "../message.js";
import { messageSizeBytes } from "./codec.js";
import type { PeerStats } from "./transport.js";

export interface BackoffOptions {
  /** First wait after a failure. Default 50 ms. */
  initialMs?: number;
  /** Longest wait. Default 1000 ms. */
  maxMs?: number;
}

export interface PeerStreamOptions<Req> {
  peerId: number;
  /** Opens a new client stream; `done` is called once when it ends, with an error if it failed. */
  open(done: (err: Error | null) => void): ClientWritableStream<Req>;
  /** Packs queued messages into requests of at most `maxBatchBytes` each. */
  pack(messages: Message[]): Req[];
  /** Messages held while the stream is busy; more are dropped. */
  maxQueueMessages: number;
  maxQueueBytes: number;
  backoff?: BackoffOptions;
  random?: () => number;
}

export class PeerStream<Req> {
  private queue: Message[] = [];
  private queuedBytes = 0;
  private stream: ClientWritableStream<Req> | undefined;
  private openedAtMs = 0;
  private waitingDrain = false;
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private stopped = false;
  /** Streams left behind by reopen(), until they end. */
  private readonly retiring = new Map<ClientWritableStream<Req>, () => void>();
  readonly stats: PeerStats = { sentMessages: 0, droppedMessages: 0, streamFailures: 0, connected: false };

  constructor(private readonly o: PeerStreamOptions<Req>) {
    this.backoffMs = o.backoff?.initialMs ?? 50;
  }

  /** Opens the stream (lazily, on the first message otherwise). */
  start(): void {
    this.ensureStream();
  }

  enqueue(m: Message): void {
    if (this.stopped || this.retryTimer) {
      this.stats.droppedMessages++;
      return;
    }
    const size = messageSizeBytes(m);
    if (this.queue.length >= this.o.maxQueueMessages || this.queuedBytes + size > this.o.maxQueueBytes) {
      this.stats.droppedMessages++;
      return;
    }
    this.queue.push(m);
    this.queuedBytes += size;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** The peer was seen alive: if the stream is waiting out a backoff, reopen it now. */
  retryNow(): void {
    if (!this.retryTimer || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.ensureStream();
  }

  /**
   * Moves to a new stream (`open` now dials a new channel: a rotated certificate). The old stream is
   * half-closed after what was already written to it, so nothing is lost; the promise resolves when it has
   * ended. A stream waiting out a backoff simply retries on the new channel.
   */
  reopen(): Promise<void> {
    const old = this.stream;
    if (this.stopped || !old) return Promise.resolve();
    this.stream = undefined;
    this.waitingDrain = false;
    const ended = new Promise<void>((resolve) => this.retiring.set(old, resolve));
    old.end();
    this.ensureStream();
    this.flush();
    return ended;
  }

  stop(): void {
    this.stopped = true;
    for (const [s, ended] of this.retiring) {
      s.cancel();
      ended();
    }
    this.retiring.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue = [];
    this.queuedBytes = 0;
    const s = this.stream;
    this.stream = undefined;
    this.stats.connected = false;
    if (s) s.cancel();
  }

  private flush(): void {
    if (this.stopped || this.waitingDrain || this.queue.length === 0) return;
    const stream = this.ensureStream();
    if (!stream) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    let ok = true;
    for (const req of this.o.pack(batch)) ok = stream.write(req) && ok;
    this.stats.sentMessages += batch.length;
    if (!ok) {
      this.waitingDrain = true;
      stream.once("drain", () => {
        this.waitingDrain = false;
        this.flush();
      });
    }
  }

  private ensureStream(): ClientWritableStream<Req> | undefined {
    if (this.stream || this.stopped || this.retryTimer) return this.stream;
    const stream = this.o.open((err) => this.onEnd(stream, err));
    // errors also arrive through `done`; without a listener an 'error' event would crash the process
    stream.on("error", () => {});
    this.stream = stream;
    this.openedAtMs = Date.now();
    this.stats.connected = true;
    return stream;
  }

  private onEnd(stream: ClientWritableStream<Req>, err: Error | null): void {
    const retired = this.retiring.get(stream);
    if (retired) {
      this.retiring.delete(stream);
      retired();
      return;
    }
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.waitingDrain = false;
    this.stats.connected = false;
    if (this.stopped) return;
    if (err) this.stats.streamFailures++;
    const max = this.o.backoff?.maxMs ?? 1000;
    const initial = this.o.backoff?.initialMs ?? 50;
    // a stream that lived a while was a working connection: start the backoff over
    if (Date.now() - this.openedAtMs > max) this.backoffMs = initial;
    const waitMs = this.backoffMs * (0.5 + (this.o.random ?? Math.random)());
    this.backoffMs = Math.min(max, this.backoffMs * 2);
    this.stats.droppedMessages += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensureStream();
    }, waitMs);
  }
}
