// Events: what happened and why (applied, planned, moved, device dead, region unreachable, plan refused,
// refused callers). Stored as `Event` resources named by time, so listing them is oldest first.
import { randomBytes } from "node:crypto";
import type { Store, StoredResource, WriteOp } from "../store/store.js";

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

  /** The write that records `e`, to commit with the change it is about (one transaction). */
  op(e: EventInput): Extract<WriteOp, { op: "create" }> {
    const timeMs = this.nowMs();
    const name = `${String(timeMs).padStart(14, "0")}-${randomBytes(4).toString("hex")}`;
    const spec: EventSpec = { ...e, timeMs };
    this.counted();
    return {
      op: "create",
      input: { kind: "Event", namespace: "default", name, labels: { "qonnect.io/reason": e.reason }, spec },
    };
  }

  async record(e: EventInput): Promise<StoredResource> {
    const [o] = await this.store.commit({ nowMs: this.nowMs(), ops: [this.op(e)] });
    return o!.resource!;
  }

  /** Counts an event; every 500th prunes the oldest beyond EVENTS_KEPT (in the background). */
  counted(): void {
    if (++this.#sinceprune < 500) return;
    this.#sinceprune = 0;
    // not inside the transaction that asked for the event
    setImmediate(() => this.store.pruneEvents(EVENTS_KEPT).catch(() => {}));
  }
}
