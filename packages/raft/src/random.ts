// The seeded random source the core draws election timeouts from. Deterministic: same seed, same numbers.
import { mulberry32 } from "@qonnect/core";

export interface RandomSource {
  /** An integer in [0, n). */
  int(n: number): number;
}

/** Seedable source over core's mulberry32. Good enough for timeouts and simulation schedules. */
export class SeededRandom implements RandomSource {
  private readonly float: () => number;
  constructor(seed: number) {
    this.float = mulberry32(seed);
  }
  /** A float in [0, 1). */
  next(): number {
    return this.float();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
}
