// Events: what happened and why (applied, planned, moved, device dead, region unreachable, plan refused,
// refused callers). Stored as `Event` resources named by time, so listing them is oldest first.
import { randomBytes } from "node:crypto";
import type { Store, StoredResource } from "../store/store.js";

export interface EventInput {
  type: "Normal" | "Warning";
  /** One word: Applied, Deleted, Planned, Moved, DeviceDead, RegionUnreachable, PlanRefused, ... */
  reason: string;
  message: string;
  /** The resource it is about, e.g. `applications/bookinfo`; empty for the server itself. */
  object: string;
}

export interface EventSpec extends EventInput {
  timeMs: number;
}

/** Events kept; older ones are pruned. */
export const EVENTS_KEPT = 10_000;

export class EventLog {
  #sinceprune = 0;
  constructor(
    readonly store: Store,
    readonly nowMs: () => number,
  ) {}

  async record(e: EventInput): Promise<StoredResource> {
    const timeMs = this.nowMs();
    const name = `${String(timeMs).padStart(14, "0")}-${randomBytes(4).toString("hex")}`;
    const spec: EventSpec = { ...e, timeMs };
    const r = await this.store.put(
      { kind: "Event", namespace: "default", name, labels: { "qonnect.io/reason": e.reason }, spec },
      { nowMs: timeMs },
    );
    if (++this.#sinceprune >= 500) {
      this.#sinceprune = 0;
      await this.store.pruneEvents(EVENTS_KEPT);
    }
    return r.resource;
  }
}
