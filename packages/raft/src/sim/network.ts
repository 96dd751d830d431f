// The simulated network: per-message loss, duplication and delay (delay reorders), and link cuts that
// express symmetric, asymmetric and partial partitions. Time is in ticks; everything draws from one seed.
import type { Message } from "../message.js";
import type { SeededRandom } from "../random.js";

export interface NetworkFaults {
  /** Probability a message is lost. */
  lossRate: number;
  /** Probability a message is delivered twice. */
  dupRate: number;
  /** Delay in ticks is uniform in [1, maxDelayTicks]; different delays reorder messages. */
  maxDelayTicks: number;
}

export const CALM: NetworkFaults = { lossRate: 0, dupRate: 0, maxDelayTicks: 1 };

interface InFlight {
  dueTick: number;
  /** Tie-breaker among messages due at the same tick, drawn at random: reordering within a tick. */
  order: number;
  m: Message;
}

export class Network {
  /** Messages in flight, bucketed by the tick they are due. */
  private readonly inflight = new Map<number, InFlight[]>();
  /** Cut links, as "from-to"; a cut is one-way. */
  private readonly cut = new Set<string>();
  faults: NetworkFaults = CALM;
  sent = 0;
  delivered = 0;
  /** InstallSnapshot chunks sent (evidence that followers are caught up by snapshot). */
  snapshotChunks = 0;

  constructor(private readonly rng: SeededRandom) {}

  send(m: Message, nowTick: number): void {
    this.sent++;
    if (m.type === "snap") this.snapshotChunks++;
    if (this.rng.chance(this.faults.lossRate)) return;
    const copies = this.rng.chance(this.faults.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const dueTick = nowTick + 1 + this.rng.int(this.faults.maxDelayTicks);
      const f: InFlight = { dueTick, order: this.rng.next(), m };
      const bucket = this.inflight.get(dueTick);
      if (bucket) bucket.push(f);
      else this.inflight.set(dueTick, [f]);
    }
  }

  /** Messages due by `nowTick` whose link is not cut (a cut drops them on arrival), in delivery order. */
  due(nowTick: number): Message[] {
    const ready: InFlight[] = [];
    for (const [tick, bucket] of this.inflight)
      if (tick <= nowTick) {
        ready.push(...bucket);
        this.inflight.delete(tick);
      }
    ready.sort((a, b) => a.dueTick - b.dueTick || a.order - b.order);
    const out: Message[] = [];
    for (const f of ready) {
      if (this.cut.has(`${f.m.from}-${f.m.to}`)) continue;
      out.push(f.m);
    }
    this.delivered += out.length;
    return out;
  }

  /** Drops everything in flight to a node (it crashed); what it sent before is on the wire and still arrives. */
  dropNode(id: number): void {
    for (const [tick, bucket] of this.inflight)
      this.inflight.set(
        tick,
        bucket.filter((f) => f.m.to !== id),
      );
  }

  heal(): void {
    this.cut.clear();
  }

  cutLink(from: number, to: number): void {
    this.cut.add(`${from}-${to}`);
  }

  /** Symmetric partition into groups: no link crosses a group boundary. */
  partition(groups: number[][]): void {
    this.cut.clear();
    for (const ga of groups)
      for (const gb of groups) {
        if (ga === gb) continue;
        for (const a of ga) for (const b of gb) this.cutLink(a, b);
      }
  }

  describeCuts(): string {
    return [...this.cut].sort().join(" ") || "none";
  }
}
