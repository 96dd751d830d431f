// The driver's options, resolved and validated once (like the core's resolveConfig): defaults in one place,
// every number checked before anything starts, so the driver itself reads plain fields.
import { RaftConfigError } from "../errors.js";
import type { Storage } from "../storage.js";
import type { Transport } from "../transport/transport.js";

/** What the driver applies committed commands to (a `normal` entry holds a batch of them, see batch.ts). */
export interface StateMachine<R> {
  /** Applies one committed command; returns the proposal id it carries and the result. */
  apply(command: Uint8Array): { proposalId: string | undefined; result: R };
  /** The proposal id inside a command, if any (to learn where this node's proposals landed). */
  proposalId(command: Uint8Array): string | undefined;
  snapshot(): Uint8Array;
  restore(data: Uint8Array): void;
}

/** Structured logging as pino does it, fields first (`log.info({ index }, "snapshot taken")`); a pino Logger fits. */
export interface DriverLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export interface RaftDriverOptions<R> {
  id: number;
  storage: Storage;
  transport: Transport;
  stateMachine: StateMachine<R>;
  /** Wall-clock length of one tick; the heartbeat interval is heartbeatTicks of them. */
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  /** Take a state-machine snapshot (and compact the log) every this many applied entries. Default 10,000. */
  snapshotEntries?: number;
  /** A write that has not been applied by then fails with OutcomeUnknownError. Default 5,000 ms. */
  proposalTimeoutMs?: number;
  /** More writes waiting than this are refused with OverloadedError (backpressure). Default 20,000. */
  maxPendingProposals?: number;
  /** A read whose ReadIndex was not confirmed by then fails with ReadTimeoutError. Default 3,000 ms. */
  readTimeoutMs?: number;
  log?: DriverLogger;
}

/** The options with every default filled in. */
export type ResolvedDriverOptions<R> = Required<Omit<RaftDriverOptions<R>, "log">> & {
  log: DriverLogger | undefined;
  /** A late timer catches up with at most this many heartbeats' worth of ticks. */
  maxCatchUpHeartbeats: number;
};

export const DRIVER_DEFAULTS = {
  snapshotEntries: 10_000,
  proposalTimeoutMs: 5000,
  maxPendingProposals: 20_000,
  readTimeoutMs: 3000,
  maxCatchUpHeartbeats: 3,
} as const;

/** Fills in the defaults and checks every number; throws RaftConfigError naming the first that cannot work. */
export function resolveDriverOptions<R>(o: RaftDriverOptions<R>): ResolvedDriverOptions<R> {
  const r: ResolvedDriverOptions<R> = {
    ...DRIVER_DEFAULTS,
    ...o,
    snapshotEntries: o.snapshotEntries ?? DRIVER_DEFAULTS.snapshotEntries,
    proposalTimeoutMs: o.proposalTimeoutMs ?? DRIVER_DEFAULTS.proposalTimeoutMs,
    maxPendingProposals: o.maxPendingProposals ?? DRIVER_DEFAULTS.maxPendingProposals,
    readTimeoutMs: o.readTimeoutMs ?? DRIVER_DEFAULTS.readTimeoutMs,
    log: o.log,
  };
  const positive: (keyof typeof r)[] = ["tickMs", "proposalTimeoutMs", "readTimeoutMs"];
  for (const key of positive) {
    const v = r[key] as number;
    if (!(Number.isFinite(v) && v > 0))
      throw new RaftConfigError(`driver option ${key} must be > 0, got ${v}`);
  }
  const counts: (keyof typeof r)[] = [
    "electionTicks",
    "heartbeatTicks",
    "snapshotEntries",
    "maxPendingProposals",
  ];
  for (const key of counts) {
    const v = r[key] as number;
    if (!(Number.isInteger(v) && v >= 1))
      throw new RaftConfigError(`driver option ${key} must be an integer ≥ 1, got ${v}`);
  }
  if (r.electionTicks <= r.heartbeatTicks)
    throw new RaftConfigError(
      `driver option electionTicks (${r.electionTicks}) must exceed heartbeatTicks (${r.heartbeatTicks})`,
    );
  return r;
}
