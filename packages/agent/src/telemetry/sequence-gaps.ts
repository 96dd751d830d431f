// Which telemetry samples a watcher did not see. Agents number samples per device (`seq` grows by one per
// sample and survives restarts; a crash skips the rest of a reserved block), deliver them in order and at least
// once, so a jump is a gap and a number at or below the last one is a repeat.

/** What one sample means for the stream of its device. */
export type SequenceEvent =
  | { kind: "first" }
  | { kind: "next" }
  | { kind: "gap"; fromSeq: number; toSeq: number; missing: number }
  | { kind: "repeat" };

/** Per-device sequence tracking for watchers (pure: feed it samples in arrival order). */
export class SequenceGaps {
  readonly #last = new Map<string, number>();
  #gaps = 0;
  #missing = 0;

  /** Classifies one sample; a gap counts the numbers between the last seen and this one. */
  observe(device: string, seq: number): SequenceEvent {
    const last = this.#last.get(device);
    if (last === undefined) {
      this.#last.set(device, seq);
      return { kind: "first" };
    }
    if (seq <= last) return { kind: "repeat" };
    this.#last.set(device, seq);
    if (seq === last + 1) return { kind: "next" };
    const missing = seq - last - 1;
    this.#gaps++;
    this.#missing += missing;
    return { kind: "gap", fromSeq: last + 1, toSeq: seq - 1, missing };
  }

  /** Gaps seen and samples missing in them, over all devices. */
  totals(): { gaps: number; missing: number } {
    return { gaps: this.#gaps, missing: this.#missing };
  }
}
