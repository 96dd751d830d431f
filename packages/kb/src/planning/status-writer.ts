// Status patches from the planning loop and accounting: each merges its top-level fields into the stored
// status inside the store's transaction (read, merge, write atomically), so two writers never lose each
// other's fields, and patches submitted together share one commit.
import type { ResourceKey, Store, WriteOp } from "../store/store.js";

export class StatusWriter {
  #pending = new Set<Promise<unknown>>();

  constructor(
    readonly store: Store,
    readonly nowMs: () => number,
  ) {}

  /** The write that merges `patch` into the status of `key` (nothing when the resource is gone). */
  static op(key: ResourceKey, patch: Record<string, unknown>): WriteOp {
    return { op: "status", key: { kind: key.kind, namespace: key.namespace, name: key.name }, merge: patch };
  }

  /** Merges `patch` into the status of `key` (top-level fields); nothing when the resource is gone. */
  merge(key: ResourceKey, patch: Record<string, unknown>): Promise<void> {
    const p = this.store.commit({ nowMs: this.nowMs(), ops: [StatusWriter.op(key, patch)] }).then(() => {});
    this.#pending.add(p);
    const done = () => this.#pending.delete(p);
    p.then(done, done);
    return p;
  }

  /** Resolves when every merge submitted so far is written. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}
