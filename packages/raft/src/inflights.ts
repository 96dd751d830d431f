// The bounded window of AppendEntries in flight to one follower (pipelining with back-pressure).

export class Inflights {
  /** Last index sent in each in-flight message, oldest first. */
  private indexes: number[] = [];

  constructor(readonly capacity: number) {
    if (capacity < 1) throw new Error(`inflight capacity ${capacity} < 1`);
  }

  add(lastIndex: number): void {
    if (this.full()) throw new Error("add to a full inflight window");
    this.indexes.push(lastIndex);
  }

  /** Frees every message whose last index is ≤ to (acknowledged). */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.indexes.length && (this.indexes[n] ?? 0) <= to) n++;
    if (n > 0) this.indexes = this.indexes.slice(n);
  }

  /** Frees the oldest message: a heartbeat response says the follower is alive, so probe the window again. */
  freeFirstOne(): void {
    this.indexes = this.indexes.slice(1);
  }

  full(): boolean {
    return this.indexes.length >= this.capacity;
  }

  count(): number {
    return this.indexes.length;
  }

  reset(): void {
    this.indexes = [];
  }
}
