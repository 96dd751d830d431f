// The region's telemetry stream belongs to the region: every fog lead creates it (idempotently) on its
// leafnode server when it starts and after every reconnect (a leaf whose store was replaced gets it back),
// retrying until JetStream answers. Devices publish into it; the Knowledge Base sources it into the cloud.
import { ensureStream, regionTelemetryStreamConfig } from "@qonnect/pki";
import type { NatsConnection } from "nats";

export interface StreamKeeperLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/** Keeps `telemetryStreamName(region)` in place; `close()` stops the retries. */
export function keepTelemetryStream(
  nc: NatsConnection,
  region: string,
  log: StreamKeeperLog,
  retryMs = 5000,
): { close(): void } {
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let warned = false;
  const attempt = async (): Promise<void> => {
    clearTimeout(timer);
    if (closed || nc.isClosed()) return;
    try {
      const outcome = await ensureStream(await nc.jetstreamManager(), regionTelemetryStreamConfig(region));
      if (outcome !== "unchanged") log.info({ region, outcome }, "region telemetry stream ready");
      warned = false;
    } catch (err) {
      if (!warned)
        log.warn(
          { region, err: (err as Error).message, retryMs },
          "cannot create the region's telemetry stream yet; devices keep their samples spooled",
        );
      warned = true;
      if (!closed) timer = setTimeout(() => void attempt(), retryMs);
    }
  };
  void attempt();
  void (async () => {
    for await (const s of nc.status()) if (s.type === "reconnect") void attempt();
  })().catch(() => {});
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
