// One test of the HIL suite and what it produces, OpenHTF-style: named measurements, each a value with its
// unit and limits and its own outcome; a test passes when every measurement is within its limits. A test
// whose hardware the rig lacks is NOT_APPLICABLE with the reason, never a silent pass.
import type { RigUnderTest } from "./rig-under-test.js";

export interface Measurement {
  name: string;
  value: number;
  unit: string;
  /** Inclusive limits; a missing side is unbounded. */
  low?: number;
  high?: number;
  outcome: "PASS" | "FAIL";
  note?: string;
}

export type Outcome = "PASS" | "FAIL" | "ERROR" | "NOT_APPLICABLE";

export interface TestResult {
  test: string;
  labels: Record<string, string>;
  outcome: Outcome;
  measurements: Measurement[];
  /** Why NOT_APPLICABLE, or the ERROR's message. */
  detail?: string;
  durationS: number;
}

export interface HilTest {
  name: string;
  labels: Record<string, string>;
  summary: string;
  /** Why the rig cannot run this test (missing hardware), or undefined when it can. */
  needs(rig: RigUnderTest): string | undefined;
  run(rig: RigUnderTest, say: (line: string) => void): Promise<Measurement[]>;
}

/** A measurement judged against its limits (a value that is not a finite number fails). */
export function measure(
  name: string,
  value: number,
  unit: string,
  limits: { low?: number; high?: number } = {},
  note?: string,
): Measurement {
  const ok =
    Number.isFinite(value) &&
    (limits.low === undefined || value >= limits.low) &&
    (limits.high === undefined || value <= limits.high);
  return {
    name,
    value,
    unit,
    ...(limits.low === undefined ? {} : { low: limits.low }),
    ...(limits.high === undefined ? {} : { high: limits.high }),
    outcome: ok ? "PASS" : "FAIL",
    ...(note ? { note } : {}),
  };
}

/** Polls `check` every `intervalMs` until it is true; the seconds it took, or NaN after `timeoutS`. */
export async function secondsUntil(
  check: () => boolean | Promise<boolean>,
  timeoutS: number,
  fromMs = Date.now(),
  intervalMs = 200,
): Promise<number> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return (Date.now() - fromMs) / 1000;
    if (Date.now() > deadline) return Number.NaN;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
