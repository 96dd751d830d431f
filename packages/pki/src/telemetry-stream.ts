// The JetStream side of the telemetry contract (DESIGN.md §5): where a region's telemetry is kept and how a
// sample is named for de-duplication. Two streams per region:
// - the region stream (`telemetryStreamName`), on the region's leafnode server in the region's JetStream
//   domain, capturing `qonnect.<region>.telemetry.*`: devices publish into it and drop a spooled sample only
//   once it acknowledged the sample; it keeps the region's telemetry through a cut to the cloud. The
//   region's fog leads create it (every lead, idempotently).
// - the history stream (`historyStreamName`), in the cloud domain, with no subjects of its own: it sources
//   the region stream across the leafnode link (`$JS.<region>.API`), catching up after a link drop. The
//   Knowledge Base creates it and reads it with a durable consumer into its telemetry history.
import {
  DiscardPolicy,
  type JetStreamManager,
  nanos,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "nats";
import { subjects, telemetryStreamName } from "./nats-permissions.js";

/** Limits of a telemetry stream (DESIGN.md §12: JetStream limits per stream). */
export interface TelemetryStreamLimits {
  /** Samples older than this are discarded. */
  maxAgeMs: number;
  /** The stream never grows beyond this; the oldest samples go first (discard old). */
  maxBytes: number;
  /** A sample published twice within this window (same message id) is stored once. */
  duplicateWindowMs: number;
}

/** A region's buffer: a day of telemetry, or 256 MiB, whichever is less. */
export const REGION_TELEMETRY_LIMITS: TelemetryStreamLimits = {
  maxAgeMs: 24 * 3_600_000,
  maxBytes: 256 * 2 ** 20,
  duplicateWindowMs: 10 * 60_000,
};

/** The cloud copy the Knowledge Base reads: a week, or 1 GiB per region. */
export const HISTORY_TELEMETRY_LIMITS: TelemetryStreamLimits = {
  maxAgeMs: 7 * 24 * 3_600_000,
  maxBytes: 2 ** 30,
  duplicateWindowMs: 10 * 60_000,
};

/** The cloud stream sourcing one region's telemetry (Knowledge Base side). */
export function historyStreamName(region: string): string {
  return `QONNECT_HISTORY_${region.replace(/-/g, "_").toUpperCase()}`;
}

/** The JetStream message id of a sample (`Nats-Msg-Id`): a replayed sample is recognised as the same one. */
export function telemetryMsgId(device: string, seq: number): string {
  return `${device}.${seq}`;
}

function limits(l: TelemetryStreamLimits): Partial<StreamConfig> {
  return {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(l.maxAgeMs),
    max_bytes: l.maxBytes,
    duplicate_window: nanos(l.duplicateWindowMs),
  };
}

/** The region stream's configuration. */
export function regionTelemetryStreamConfig(
  region: string,
  l: TelemetryStreamLimits = REGION_TELEMETRY_LIMITS,
): Partial<StreamConfig> & { name: string } {
  return {
    name: telemetryStreamName(region),
    subjects: [subjects.telemetry(region, "*")],
    num_replicas: 1,
    ...limits(l),
  };
}

/**
 * The history stream's configuration. `sourceDomain` is the JetStream domain holding the region stream (the
 * region's name in a deployment from infra/nats); undefined when region and history share one JetStream
 * (a single development server).
 */
export function historyStreamConfig(
  region: string,
  options: { sourceDomain?: string; replicas?: number; limits?: TelemetryStreamLimits } = {},
): Partial<StreamConfig> & { name: string } {
  return {
    name: historyStreamName(region),
    sources: [
      {
        name: telemetryStreamName(region),
        ...(options.sourceDomain ? { domain: options.sourceDomain } : {}),
      },
    ],
    num_replicas: options.replicas ?? 1,
    ...limits(options.limits ?? HISTORY_TELEMETRY_LIMITS),
  };
}

/** The fields `ensureStream` compares with what the server has (it never changes a stream's storage). */
const COMPARED = ["subjects", "max_age", "max_bytes", "duplicate_window", "discard"] as const;

/**
 * Creates the stream, or updates the compared limits of an existing one to `config`; safe to call from
 * several processes at once (a creation race ends in one stream). Returns what it did.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<"created" | "updated" | "unchanged"> {
  const existing = await jsm.streams.info(config.name).catch((err: Error) => {
    if (/stream not found/i.test(err.message)) return undefined;
    throw err;
  });
  if (!existing) {
    try {
      await jsm.streams.add(config);
      return "created";
    } catch (err) {
      // another process created it meanwhile: fall through to the comparison
      if (!/already in use|already exists/i.test((err as Error).message)) throw err;
    }
  }
  const current = existing ?? (await jsm.streams.info(config.name));
  const differs = COMPARED.some(
    (k) => config[k] !== undefined && JSON.stringify(current.config[k]) !== JSON.stringify(config[k]),
  );
  if (!differs) return "unchanged";
  await jsm.streams.update(config.name, { ...current.config, ...config });
  return "updated";
}
