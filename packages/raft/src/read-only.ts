// ReadIndex bookkeeping on the leader: a read is served at the commit index it arrived at, once a heartbeat
// round started after it has been acknowledged by a majority (so no newer leader can exist).

/** A read the application may serve once its applied index reaches `index`. */
export interface ReadState {
  index: number;
  /** The request id given to readIndex(). */
  context: Uint8Array;
}

export interface PendingRead {
  index: number;
  /** Node that asked (the leader itself, or a follower that forwarded it). */
  from: number;
  context: Uint8Array;
  acks: Set<number>;
}

export function contextKey(ctx: Uint8Array): string {
  return Buffer.from(ctx).toString("base64");
}

export class ReadOnly {
  private readonly pending = new Map<string, PendingRead>();
  private queue: string[] = [];

  add(index: number, from: number, context: Uint8Array, self: number): void {
    const key = contextKey(context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, from, context, acks: new Set([self]) });
    this.queue.push(key);
  }

  /** Records an ack; returns the acks so far (undefined for an unknown context). */
  ack(context: Uint8Array, from: number): Set<number> | undefined {
    const p = this.pending.get(contextKey(context));
    if (!p) return undefined;
    p.acks.add(from);
    return p.acks;
  }

  /** Releases `context` and every read queued before it. */
  advance(context: Uint8Array): PendingRead[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1).map((k) => this.pending.get(k)!);
    for (const k of this.queue.slice(0, at + 1)) this.pending.delete(k);
    this.queue = this.queue.slice(at + 1);
    return done;
  }

  /** Context of the most recent pending read, to attach to heartbeats. */
  lastContext(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)?.context;
  }

  size(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
