// How a RawNode is configured. Time is counted in ticks: the driver calls tick() at a fixed interval.
import { RaftConfigError } from "./errors.js";
import type { RandomSource } from "./random.js";
import type { Storage } from "./storage.js";

export interface RaftConfig {
  /** This node's id, ≥ 1. */
  id: number;
  storage: Storage;
  /** Seeded source for the randomised election timeout. */
  random: RandomSource;
  /** A follower campaigns after a random timeout in [electionTicks, 2·electionTicks). Default 10. */
  electionTicks?: number;
  /** The leader sends heartbeats every heartbeatTicks. Default 1. */
  heartbeatTicks?: number;
  /** Last index the application applied before this start (e.g. its snapshot). Default: the storage snapshot. */
  applied?: number;
  /** Bytes of entry data per AppendEntries (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsgBytes?: number;
  /** AppendEntries in flight per follower in replicate state (the pipelining window). Default 256. */
  maxInflightMsgs?: number;
  /** Bytes of committed entries per Ready (at least one). Default 8 MiB. */
  maxCommittedSizePerReadyBytes?: number;
  /** Bytes of snapshot data per InstallSnapshot chunk. Default 64 KiB. */
  snapshotChunkBytes?: number;
  /** A learner is promoted only when at most this many entries behind the leader's last index. Default 0. */
  maxLearnerLagEntries?: number;
  /** Default true. */
  preVote?: boolean;
  /** Default true. */
  checkQuorum?: boolean;
  /**
   * A pre-candidate asks the voters that have not answered again every heartbeatTicks (a voter inside its
   * leader lease ignores a pre-vote silently). Without it, it waits out its randomised timeout. Default true.
   */
  preVoteRetry?: boolean;
  /**
   * A pre-candidate refuses a pre-vote from a higher id whose log is exactly as up to date as its own, so
   * that two pre-candidates whose requests cross do not both go on to split the vote. Default true.
   */
  preVoteTieBreak?: boolean;
}

export type ResolvedConfig = Required<Omit<RaftConfig, "applied">> & { applied: number | undefined };

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  const r: ResolvedConfig = {
    electionTicks: 10,
    heartbeatTicks: 1,
    maxSizePerMsgBytes: 1024 * 1024,
    maxInflightMsgs: 256,
    maxCommittedSizePerReadyBytes: 8 * 1024 * 1024,
    snapshotChunkBytes: 64 * 1024,
    maxLearnerLagEntries: 0,
    preVote: true,
    checkQuorum: true,
    preVoteRetry: true,
    preVoteTieBreak: true,
    ...c,
    applied: c.applied,
  };
  if (!Number.isInteger(r.id) || r.id < 1)
    throw new RaftConfigError(`id must be an integer ≥ 1, got ${r.id}`);
  if (r.heartbeatTicks < 1) throw new RaftConfigError("heartbeatTicks must be ≥ 1");
  if (r.electionTicks <= r.heartbeatTicks)
    throw new RaftConfigError(
      `electionTicks (${r.electionTicks}) must exceed heartbeatTicks (${r.heartbeatTicks})`,
    );
  if (r.maxInflightMsgs < 1) throw new RaftConfigError("maxInflightMsgs must be ≥ 1");
  if (r.snapshotChunkBytes < 1) throw new RaftConfigError("snapshotChunkBytes must be ≥ 1");
  return r;
}
