// Retry with exponential backoff for transient device errors. The wait is injected so tests (and simulated
// devices on a simulated clock) never sleep for real.

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Total attempts including the first; 1 means no retry. */
  attempts: number;
  /** Wait before the second attempt, milliseconds; doubles each time. */
  baseDelayMs: number;
  /** Upper bound for one wait, milliseconds. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 2, maxDelayMs: 50 };

/** Waits `ms` milliseconds. The default uses a real timer; tests pass one that advances a manual clock. */
export type Delay = (ms: number) => Promise<void>;

export const realDelay: Delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The wait before attempt number `attempt` (2, 3, ...). */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 2));
}

/**
 * Runs `op` until it succeeds, `isTransient` says an error is permanent, or the attempts run out. Resolves
 * with the value; rejects with `onGiveUp(lastError, attemptsMade)`.
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  policy: RetryPolicy,
  delay: Delay,
  isTransient: (err: unknown) => boolean,
  onGiveUp: (err: unknown, attempts: number) => Error,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (attempt >= policy.attempts || !isTransient(err)) throw onGiveUp(err, attempt);
      await delay(backoffMs(policy, attempt + 1));
    }
  }
}
