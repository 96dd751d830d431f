// The planning loop's world, cached: loaded from the store once, then kept up to date by following the
// store's change log from the version it has (only what changed since the last round is read and parsed).
// The merged inventory is normalised again only when an Inventory changes, an application only when it
// does. A log compacted past the cache's version means a full reload.
import type { Inventory } from "@qonnect/core";
import { type Change, CompactedError, type Store, type StoredResource } from "../store/store.js";
import type { LoadedSignal } from "./signals.js";
import {
  type AppEntry,
  appEntries,
  assembleWorld,
  baseInventory,
  listAll,
  loadSignals,
  type World,
} from "./world.js";

/** The kinds the planner reads. */
export const WORLD_KINDS = ["Inventory", "Device", "Signal", "Application", "Job", "Placement", "Region"];

export class WorldCache {
  #version = 0;
  #loaded = false;
  #refreshing: Promise<void> | undefined;
  readonly #items = new Map<string, Map<string, StoredResource>>(WORLD_KINDS.map((k) => [k, new Map()]));
  #base: Inventory | undefined;
  readonly #apps = new Map<
    string,
    { rv: number; generation: number; uid: string; entry: AppEntry | undefined }
  >();
  #signals: LoadedSignal[] | undefined;

  constructor(readonly store: Store) {}

  /** The log version the cache reflects. */
  get version(): number {
    return this.#version;
  }

  /** Catches up with the store (one refresh at a time; callers share it). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    if (!this.#loaded) await this.#load();
    for (;;) {
      let batch: Change[];
      try {
        batch = await this.store.changes(this.#version, 1000);
      } catch (err) {
        if (!(err instanceof CompactedError)) throw err;
        await this.#load();
        continue;
      }
      if (batch.length === 0) return;
      for (const c of batch) this.#apply(c);
      this.#version = batch[batch.length - 1]!.resourceVersion;
    }
  }

  async #load(): Promise<void> {
    // the head first: changes after it are read from the log next, and applying one twice is harmless
    const head = await this.store.headVersion();
    const lists = await Promise.all(WORLD_KINDS.map((k) => listAll(this.store, k)));
    for (const [i, kind] of WORLD_KINDS.entries())
      this.#items.set(kind, new Map(lists[i]!.map((r) => [`${r.namespace}/${r.name}`, r])));
    this.#base = undefined;
    this.#signals = undefined;
    this.#apps.clear();
    this.#version = head;
    this.#loaded = true;
  }

  #apply(c: Change): void {
    const r = c.resource;
    const items = this.#items.get(r.kind);
    if (!items) return;
    const id = `${r.namespace}/${r.name}`;
    const held = items.get(id);
    if (held && held.resourceVersion >= c.resourceVersion) return;
    if (c.type === "DELETED") items.delete(id);
    else items.set(id, r);
    if (r.kind === "Inventory") this.#base = undefined;
    if (r.kind === "Signal") this.#signals = undefined;
  }

  /** The cached resources of a kind the planner reads. */
  list(kind: string): StoredResource[] {
    return [...(this.#items.get(kind)?.values() ?? [])];
  }

  get(kind: string, namespace: string, name: string): StoredResource | undefined {
    return this.#items.get(kind)?.get(`${namespace}/${name}`);
  }

  /** The world as of the last refresh, with the signals' values at `nowMs`. */
  world(nowMs: number): World {
    this.#base ??= baseInventory(this.list("Inventory"));
    this.#signals ??= loadSignals(this.list("Signal"));
    const apps: AppEntry[] = [];
    const seen = new Set<string>();
    for (const r of [...this.list("Application"), ...this.list("Job")]) {
      const id = `${r.kind}/${r.namespace}/${r.name}`;
      seen.add(id);
      const held = this.#apps.get(id);
      let entry: AppEntry | undefined;
      if (held && held.uid === r.uid && held.generation === r.generation) {
        // same desired state: the normalised application is reused, the resource (its status) refreshed
        entry = held.entry ? { resource: r, app: held.entry.app } : undefined;
      } else entry = appEntries([r])[0];
      this.#apps.set(id, { rv: r.resourceVersion, generation: r.generation, uid: r.uid, entry });
      if (entry) apps.push(entry);
    }
    for (const id of this.#apps.keys()) if (!seen.has(id)) this.#apps.delete(id);
    return assembleWorld(
      this.#base,
      this.#items.get("Device")!.values(),
      this.#signals,
      apps,
      this.#items.get("Placement")!.values(),
      nowMs,
    );
  }
}
