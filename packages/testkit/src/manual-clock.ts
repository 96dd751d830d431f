/** A clock that moves only when told, and a delay that moves it: code under test "waits" without real timers. */
export class ManualClock {
  constructor(public ms = 1_700_000_000_000) {}
  /** Pass this where the code takes an injected `nowMs()`. */
  readonly nowMs = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
  /** A `(ms) => Promise<void>` delay that advances this clock instead of sleeping. */
  readonly delay = async (ms: number): Promise<void> => {
    this.ms += ms;
  };
}
