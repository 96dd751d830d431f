// @qonnect/agent — public API. Filled in by its issue.
export {};
