// What a client of a Raft-backed service can be told about its request. The distinction that matters is
// whether a write may have happened: NotLeaderError and ProposalLostError say it did not (retry freely),
// OutcomeUnknownError says it may have (the client must not report success, nor assume failure).

/** This node is not the leader; the request was not proposed. `leaderId` is 0 when no leader is known. */
export class NotLeaderError extends Error {
  override name = "NotLeaderError";
  constructor(
    readonly nodeId: number,
    readonly leaderId: number,
    readonly reason = "not-leader",
  ) {
    super(`node ${nodeId} is not the leader (${reason}); leader: ${leaderId || "unknown"}`);
  }
}

/** The proposal's log position was taken by another entry: it was never applied and never will be. */
export class ProposalLostError extends Error {
  override name = "ProposalLostError";
  constructor(readonly index: number) {
    super(`the proposal at log index ${index} was replaced by another leader's entry and not applied`);
  }
}

/** The write may or may not have been applied (timeout, snapshot overtook it, node stopping). */
export class OutcomeUnknownError extends Error {
  override name = "OutcomeUnknownError";
  constructor(readonly reason: string) {
    super(`the outcome of the write is unknown: ${reason}`);
  }
}

/** A linearizable read could not be confirmed in time (no quorum reachable, leadership changing). */
export class ReadTimeoutError extends Error {
  override name = "ReadTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`no quorum confirmed the read within ${timeoutMs} ms`);
  }
}

/** The driver was stopped while the request waited. */
export class DriverStoppedError extends Error {
  override name = "DriverStoppedError";
  constructor() {
    super("the raft node is stopping");
  }
}

/** Too many writes are waiting already; this one was not proposed (retry later). */
export class OverloadedError extends Error {
  override name = "OverloadedError";
  constructor(readonly pending: number) {
    super(`${pending} writes are already waiting to commit; try again shortly`);
  }
}
