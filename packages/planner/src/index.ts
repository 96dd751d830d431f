// @qonnect/planner — public API. Filled in by its issue.
export {};
