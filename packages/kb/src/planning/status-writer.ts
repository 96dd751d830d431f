// Status patches from the planning loop and accounting, applied one at a time (read, merge, write) so two
// writers in this process never lose each other's fields.
import type { ResourceKey, Store } from "../store/store.js";

export class StatusWriter {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: Store,
    readonly nowMs: () => number,
  ) {}

  /** Merges `patch` into the status of `key` (top-level fields); nothing when the resource is gone. */
  merge(key: ResourceKey, patch: Record<string, unknown>): Promise<void> {
    const next = this.#queue.then(async () => {
      const r = await this.store.get(key);
      if (!r) return;
      const old = r.status && typeof r.status === "object" ? (r.status as Record<string, unknown>) : {};
      await this.store.putStatus(key, { ...old, ...patch }, this.nowMs());
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  idle(): Promise<unknown> {
    return this.#queue;
  }
}
