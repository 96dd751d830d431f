// What both stores share on top of their own transactions: group commit (writes submitted while a commit
// is being prepared or is in flight go together into the next transaction, so eight writers pay for one
// fsync, not eight), the single-resource writes as one-group batches, and paging.
import type { BackupInfo } from "./backup.js";
import { decodePageToken, encodePageToken, fromRow, pageSizeOf, type ResourceRow } from "./rows.js";
import { matches } from "./selector.js";
import type {
  Change,
  ListOptions,
  ListPage,
  PutInput,
  PutOptions,
  PutResult,
  ResourceKey,
  Sample,
  Store,
  StoredResource,
  TokenRecord,
  WriteGroup,
  WriteOutcome,
} from "./store.js";

/** Groups per transaction at most, so one commit never holds the event loop long. */
export const MAX_GROUPS_PER_COMMIT = 64;

interface Pending {
  group: WriteGroup;
  resolve: (o: WriteOutcome[]) => void;
  reject: (err: unknown) => void;
}

export abstract class StoreBase implements Store {
  abstract readonly flavour: string;
  #queue: Pending[] = [];
  #scheduled = false;
  #flushing: Promise<void> | undefined;

  abstract write(groups: readonly WriteGroup[]): Promise<(WriteOutcome[] | Error)[]>;
  /** Rows of `kind` after `cursor` in (namespace, name) order. */
  protected abstract listRows(
    kind: string,
    namespace: string | undefined,
    cursor: [string, string],
    limit: number,
  ): Promise<ResourceRow[]>;
  abstract get(key: ResourceKey): Promise<StoredResource | undefined>;
  abstract changes(afterVersion: number, limit: number): Promise<Change[]>;
  abstract headVersion(): Promise<number>;
  abstract compact(keep: number): Promise<void>;
  abstract pruneEvents(keep: number): Promise<number>;
  abstract createToken(token: TokenRecord): Promise<void>;
  abstract getToken(id: string): Promise<TokenRecord | undefined>;
  abstract revokeToken(id: string): Promise<boolean>;
  abstract addSamples(samples: readonly Sample[]): Promise<void>;
  abstract series(device: string, fromMs: number, toMs: number, limit: number): Promise<Sample[]>;
  abstract tryLease(): Promise<boolean>;
  abstract backup(file: string): Promise<BackupInfo>;
  abstract restore(file: string, options?: { force?: boolean }): Promise<BackupInfo>;
  abstract close(): Promise<void>;

  commit(group: WriteGroup): Promise<WriteOutcome[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ group, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    // the writes that arrive in this turn of the event loop join the same transaction
    setImmediate(() => {
      this.#scheduled = false;
      this.#flushing = this.#flush().finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length) this.#schedule();
      });
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, MAX_GROUPS_PER_COMMIT);
      let results: (WriteOutcome[] | Error)[];
      try {
        results = await this.write(batch.map((b) => b.group));
      } catch (err) {
        // the transaction itself failed: each group alone, so only the group at fault fails
        if (batch.length === 1) results = [err instanceof Error ? err : new Error(String(err))];
        else {
          results = [];
          for (const b of batch)
            results.push(
              await this.write([b.group]).then(
                (r) => r[0]!,
                (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
              ),
            );
        }
      }
      batch.forEach((b, i) => {
        const r = results[i]!;
        if (r instanceof Error) b.reject(r);
        else b.resolve(r);
      });
    }
  }

  /** Resolves once every write submitted so far is committed (or refused). */
  protected async drain(): Promise<void> {
    while (this.#queue.length || this.#scheduled || this.#flushing) {
      await (this.#flushing ?? new Promise((r) => setImmediate(r)));
    }
  }

  async put(input: PutInput, options: PutOptions): Promise<PutResult> {
    const [o] = await this.commit({
      nowMs: options.nowMs,
      ops: [{ op: "put", input, ...(options.etag !== undefined ? { etag: options.etag } : {}) }],
    });
    return { resource: o!.resource!, created: o!.created, changed: o!.changed };
  }

  async putStatus(key: ResourceKey, status: unknown, nowMs: number): Promise<StoredResource> {
    const [o] = await this.commit({ nowMs, ops: [{ op: "status", key, status }] });
    return o!.resource!;
  }

  async delete(key: ResourceKey, options: { etag?: string; nowMs: number }): Promise<StoredResource> {
    const [o] = await this.commit({
      nowMs: options.nowMs,
      ops: [{ op: "delete", key, ...(options.etag !== undefined ? { etag: options.etag } : {}) }],
    });
    return o!.resource!;
  }

  async list(kind: string, options: ListOptions = {}): Promise<ListPage> {
    const size = pageSizeOf(options.pageSize);
    let cursor = decodePageToken(options.pageToken) ?? ["", ""];
    const head = await this.headVersion();
    const items: StoredResource[] = [];
    const chunk = Math.max(200, size + 1);
    for (;;) {
      const rows = await this.listRows(kind, options.namespace, cursor, chunk);
      for (const row of rows) {
        const r = fromRow(row);
        if (!options.selector || matches(options.selector, r.labels)) items.push(r);
        if (items.length > size) break;
      }
      if (items.length > size || rows.length < chunk) break;
      const last = rows[rows.length - 1]!;
      cursor = [last.namespace, last.name];
    }
    const more = items.length > size;
    const page = items.slice(0, size);
    const last = page[page.length - 1];
    return {
      items: page,
      nextPageToken: more && last ? encodePageToken(last.namespace, last.name) : "",
      resourceVersion: head,
    };
  }
}
