// @qonnect/energy — public API. Filled in by its issue.
export {};
