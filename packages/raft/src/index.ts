// @qonnect/raft — public API. Filled in by its issue.
export {};
