// Sends the spool to the region's telemetry stream (DESIGN.md §5): every record is published through
// JetStream with its message id (device.seq), and a record leaves the spool only once the stream
// acknowledged it (and every record before it). While JetStream does not acknowledge (no stream yet, its
// store full, a plain server), the fresh samples still go out live as the heartbeat the fog leads watch,
// the spool keeps them all (bounded by its size), and a probe of one record retries now and then.
import { telemetryMsgId } from "@qonnect/pki";
import { telemetryV1 } from "@qonnect/proto";
import type { Logger } from "pino";
import type { AgentMetrics } from "../metrics.js";
import type { NatsLink } from "../nats-link.js";
import type { Spool } from "../spool.js";

const SEND_BATCH = 64;

export interface TelemetrySenderOptions {
  device: string;
  subject: string;
  samplePeriodMs: number;
  /** How long a publish waits for the stream's acknowledgement. */
  ackTimeoutMs: number;
  /** While JetStream does not acknowledge, probe it at most this often. */
  retryMs: number;
  nowMs: () => number;
}

export class TelemetrySender {
  /** False from an unacknowledged publish until the next acknowledged one. */
  acking = true;
  /** Records the stream did not acknowledge in time (each probe counts once). */
  unacked = 0;
  private draining = false;
  private drainStartedMs = 0;
  private lastFailureMs = Number.NEGATIVE_INFINITY;
  /** The newest seq sent live without acknowledgement: its re-send from the spool is marked late. */
  private liveUpToSeq = -1;
  /** When the current NATS connection was established: samples taken before it are late. */
  connectedSinceMs = Number.POSITIVE_INFINITY;

  /** A (re)connect: samples taken before now are late, and the stream is probed at once. */
  connected(nowMs: number): void {
    this.connectedSinceMs = nowMs;
    this.lastFailureMs = Number.NEGATIVE_INFINITY;
  }

  constructor(
    private readonly o: TelemetrySenderOptions,
    private readonly spool: Spool,
    private readonly link: NatsLink,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
  ) {}

  /**
   * A sample just taken (already in the spool, or not: a full disk). It goes out live at once when the
   * spool cannot carry it now: JetStream is not acknowledging, a drain is stuck longer than half a period,
   * or the spool refused it. Returns whether it was sent live.
   */
  fresh(sample: Uint8Array, seq: number, spooled: boolean): boolean {
    if (!this.link.connected) return false;
    const stuck = this.draining && this.o.nowMs() - this.drainStartedMs > this.o.samplePeriodMs / 2;
    if (spooled && this.acking && !stuck) return false;
    this.link.publishWithId(this.o.subject, sample, telemetryMsgId(this.o.device, seq));
    this.liveUpToSeq = Math.max(this.liveUpToSeq, seq);
    this.metrics.liveSamples.inc();
    return true;
  }

  /** Sends the spool in order while connected; commits the acknowledged prefix of every batch. */
  async drain(): Promise<void> {
    if (this.draining || !this.link.connected) return;
    if (!this.acking && this.o.nowMs() - this.lastFailureMs < this.o.retryMs) return;
    this.draining = true;
    this.drainStartedMs = this.o.nowMs();
    const lateAfterMs = Math.max(2 * this.o.samplePeriodMs, 2000);
    try {
      while (this.link.connected && this.spool.depth > 0) {
        // while JetStream is not acknowledging, one record probes it
        const batch = this.spool.peek(this.acking ? SEND_BATCH : 1);
        if (batch.length === 0) break;
        const nowMs = this.o.nowMs();
        const sends = batch.map((record) => {
          let t: telemetryV1.DeviceTelemetry;
          try {
            t = telemetryV1.DeviceTelemetry.decode(record.payload);
          } catch {
            // a record that passed its checksum but is not telemetry: nothing to send, counted as corrupt
            this.spool.corrupted++;
            return Promise.resolve({ late: false });
          }
          const late =
            t.tsMs < this.connectedSinceMs || nowMs - t.tsMs > lateAfterMs || t.seq <= this.liveUpToSeq;
          const payload = late
            ? telemetryV1.DeviceTelemetry.encode({ ...t, late: true }).finish()
            : record.payload;
          return this.link
            .publishAcked(this.o.subject, payload, telemetryMsgId(this.o.device, t.seq), this.o.ackTimeoutMs)
            .then(() => ({ late }));
        });
        const results = await Promise.allSettled(sends);
        let acked = 0;
        let late = 0;
        for (const r of results) {
          if (r.status !== "fulfilled") break;
          acked++;
          if (r.value.late) late++;
        }
        if (acked > 0) {
          this.spool.commit(batch[acked - 1]!.next, acked, this.o.nowMs());
          this.metrics.published.inc({ late: "true" }, late);
          this.metrics.published.inc({ late: "false" }, acked - late);
          if (!this.acking) {
            this.acking = true;
            this.metrics.jetstreamAcking.set(1);
            this.log.info(
              { spoolDepth: this.spool.depth },
              "JetStream acknowledges again; draining the spool",
            );
          }
        }
        if (acked < results.length) {
          const failed = results[acked] as PromiseRejectedResult;
          this.unacked++;
          this.lastFailureMs = this.o.nowMs();
          if (this.acking)
            this.log.warn(
              {
                err: (failed.reason as Error)?.message,
                spoolDepth: this.spool.depth,
                retryMs: this.o.retryMs,
              },
              "JetStream did not acknowledge telemetry; keeping it spooled, sending live samples as heartbeats",
            );
          this.acking = false;
          this.metrics.jetstreamAcking.set(0);
          break;
        }
        if (late > 0) this.log.info({ late, spoolDepth: this.spool.depth }, "replayed spooled telemetry");
      }
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, spoolDepth: this.spool.depth },
        "send interrupted; will retry",
      );
    } finally {
      this.draining = false;
      this.metrics.spoolDepth.set(this.spool.depth);
    }
  }
}
