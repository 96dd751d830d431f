// How a failure that escaped a command reaches the user. Expected failures are named error classes
// (`WalLockedError`, `PlanInfeasibleError`, …) whose message says what to do next: one line, no stack.
// Plain and built-in errors (Error, TypeError, …) are bugs: their stack helps whoever reports them.

const BUG_NAMES = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "AssertionError",
]);

/** True for an error of a named class of ours (an expected condition), false for a bug or a non-Error. */
export function isExpectedFailure(err: unknown): err is Error {
  return err instanceof Error && !BUG_NAMES.has(err.name);
}

/** The text printed for a failure: `error: <message>` for expected ones, the stack for bugs. */
export function failureText(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (isExpectedFailure(err) && !env.QONNECT_DEBUG) return `error: ${err.message}\n`;
  return `error: ${(err as Error)?.stack ?? String(err)}\n`;
}
