// Expected conditions the core reports to its caller. Broken invariants throw plain Errors at once.

/** A proposal (or conf change) was not accepted; the caller may retry, usually against the leader. */
export class ProposalDroppedError extends Error {
  override name = "ProposalDroppedError";
  constructor(
    readonly reason:
      | "no-leader"
      | "not-leader"
      | "transferring"
      | "removed"
      | "conf-change-pending"
      | "term-not-committed"
      | "learner-behind",
    readonly nodeId: number,
    readonly term: number,
  ) {
    super(`node ${nodeId} dropped the proposal at term ${term}: ${reason}`);
  }
}

/** Configuration that cannot work (e.g. heartbeatTicks ≥ electionTicks). */
export class RaftConfigError extends Error {
  override name = "RaftConfigError";
}
