// Fans the store's watch log out to watchers. One reader per server follows the log (woken by local writes,
// and every `pollMs` for writes made by other servers sharing a PostgreSQL database); each watcher first
// catches up from its own resource version, then receives live changes, with none lost or repeated.
import type { Change, Store } from "../store/store.js";

export interface WatchItem {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  resourceVersion: number;
  change?: Change;
}

type Listener = (changes: Change[]) => void;

export class WatchHub {
  #head = 0;
  #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #pumping: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(
    readonly store: Store,
    readonly pollMs = 250,
  ) {}

  async start(): Promise<void> {
    this.#head = await this.store.headVersion();
    this.#timer = setInterval(() => this.poke(), this.pollMs);
    this.#timer.unref();
  }

  get head(): number {
    return this.#head;
  }

  /** Something was written: read the log now. */
  poke(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      if (this.#again) {
        this.#again = false;
        this.poke();
      }
    });
  }

  async #pump(): Promise<void> {
    for (;;) {
      let batch: Change[];
      try {
        batch = await this.store.changes(this.#head, 1000);
      } catch {
        // compacted under us (a very slow reader) or the store is away: start from the head
        this.#head = await this.store.headVersion().catch(() => this.#head);
        return;
      }
      if (batch.length === 0) return;
      this.#head = batch[batch.length - 1]!.resourceVersion;
      for (const l of this.#listeners) l(batch);
    }
  }

  /** Every batch of changes read from the log, from now on (any server's writes). Returns an unsubscribe. */
  subscribe(listener: (changes: Change[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Changes after `fromVersion` (0 = from now), then live, until `signal` aborts. Throws CompactedError
   * when `fromVersion` is older than the log keeps. Emits a BOOKMARK every `bookmarkMs` of quiet. */
  async *watch(fromVersion: number, signal: AbortSignal, bookmarkMs = 5000): AsyncGenerator<WatchItem> {
    const buffer: Change[] = [];
    let wake: (() => void) | undefined;
    const listener: Listener = (changes) => {
      buffer.push(...changes);
      wake?.();
    };
    this.#listeners.add(listener);
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      let last = fromVersion > 0 ? fromVersion : this.#head;
      // catch up from the store itself (throws CompactedError when too old)
      for (;;) {
        const batch = await this.store.changes(last, 1000);
        if (batch.length === 0) break;
        for (const c of batch) {
          if (signal.aborted) return;
          yield { type: c.type, resourceVersion: c.resourceVersion, change: c };
          last = c.resourceVersion;
        }
      }
      this.poke();
      while (!signal.aborted) {
        if (buffer.length === 0) {
          let timer: NodeJS.Timeout | undefined;
          const quiet = await new Promise<boolean>((resolve) => {
            wake = () => resolve(false);
            timer = setTimeout(() => resolve(true), bookmarkMs);
          });
          clearTimeout(timer);
          wake = undefined;
          if (quiet && !signal.aborted)
            yield { type: "BOOKMARK", resourceVersion: Math.max(last, this.#head) };
          continue;
        }
        const c = buffer.shift()!;
        if (c.resourceVersion <= last) continue;
        last = c.resourceVersion;
        yield { type: c.type, resourceVersion: c.resourceVersion, change: c };
      }
    } finally {
      this.#listeners.delete(listener);
      signal.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#pumping;
  }
}
