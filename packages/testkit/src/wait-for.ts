// The one way tests wait: poll a condition with a generous limit, never sleep-then-check.

export interface WaitOptions {
  /** What is awaited, for the error message ("the agent to connect"). */
  what: string;
  /** Generous by default: a loaded 2-core machine runs several suites at once. */
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `check` until it returns true (a throw counts as "not yet"); throws naming `what`, and the last error
 * if there was one, after `timeoutMs`.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  { what, timeoutMs = 45_000, intervalMs = 100 }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}` +
          (lastError
            ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`
            : ""),
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
