// A clock that moves only when told, and a Delay that moves it: drivers "wait" without real timers.
import type { Delay } from "../retry.js";

export class ManualClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly nowMs = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
  /** A Delay that advances this clock instead of sleeping. */
  readonly delay: Delay = async (ms) => {
    this.ms += ms;
  };
}
