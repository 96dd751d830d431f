// A small, fully deterministic cluster for scenario tests: nodes on MemoryStorage, a FIFO network with
// partitions, and a state machine that is just the list of applied data. Every event is logged as a line,
// which the text scripts under ../testdata compare against their golden output.
import { bootstrap } from "../bootstrap.js";
import { type ConfChange, decodeConfChange } from "../conf-change.js";
import type { RaftConfig } from "../config.js";
import { ProposalDroppedError } from "../errors.js";
import { MemoryStorage } from "../memory-storage.js";
import { describeMessage, type Message } from "../message.js";
import { SeededRandom } from "../random.js";
import { RawNode } from "../raw-node.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface HarnessNode {
  id: number;
  storage: MemoryStorage;
  node: RawNode;
  /** Applied normal entries' data, in order: the state machine. */
  applied: string[];
  appliedIndex: number;
  reads: { index: number; context: string }[];
  config: Omit<RaftConfig, "id" | "storage" | "random">;
}

export class Harness {
  readonly nodes = new Map<number, HarnessNode>();
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  readonly out: string[] = [];

  log(line: string): void {
    this.out.push(line);
  }

  /** Adds nodes; founding `voters` get a bootstrapped log, others start empty (to be added by conf change). */
  addNodes(ids: number[], voters: number[], config: HarnessNode["config"] = {}): void {
    for (const id of ids) {
      const storage = new MemoryStorage();
      if (voters.includes(id)) bootstrap(storage, voters);
      this.start(id, storage, [], config);
    }
  }

  private start(
    id: number,
    storage: MemoryStorage,
    applied: string[],
    config: HarnessNode["config"],
  ): HarnessNode {
    const snap = storage.snapshot();
    const state = snap.data.length > 0 ? (JSON.parse(dec.decode(snap.data)) as string[]) : applied;
    const node = new RawNode({ id, storage, random: new SeededRandom(id), ...config });
    const n: HarnessNode = {
      id,
      storage,
      node,
      applied: [...state],
      appliedIndex: snap.meta.index,
      reads: [],
      config,
    };
    this.nodes.set(id, n);
    return n;
  }

  get(id: number): HarnessNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Loses nothing durable (MemoryStorage is the disk), only in-memory state and queued messages to it. */
  restart(id: number): void {
    const n = this.get(id);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
    this.start(id, n.storage, [], n.config);
    this.log(`${id}: restarted`);
  }

  partition(groups: number[][]): void {
    this.cut.clear();
    for (const a of this.nodes.keys())
      for (const b of this.nodes.keys()) {
        const ga = groups.findIndex((g) => g.includes(a));
        const gb = groups.findIndex((g) => g.includes(b));
        if (ga !== gb) this.cut.add(`${a}-${b}`);
      }
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys())
      if (other !== id) {
        this.cut.add(`${id}-${other}`);
        this.cut.add(`${other}-${id}`);
      }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Runs one node's Ready cycle; returns whether there was one. */
  processReady(id: number): boolean {
    const n = this.get(id);
    if (!n.node.hasReady()) return false;
    const rd = n.node.ready();
    if (rd.softState)
      this.log(`${id}: ${rd.softState.role} term=${n.node.status().term} lead=${rd.softState.leaderId}`);
    this.queue.push(...rd.messages);
    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.applied = JSON.parse(dec.decode(rd.snapshot.data)) as string[];
      n.appliedIndex = rd.snapshot.meta.index;
      this.log(`${id}: restored snapshot ${rd.snapshot.meta.index}@${rd.snapshot.meta.term}`);
    }
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    this.queue.push(...rd.persistedMessages);
    for (const e of rd.committedEntries) {
      n.appliedIndex = e.index;
      if (e.type === "normal") n.applied.push(dec.decode(e.data));
      if (e.type === "conf") {
        const cc = decodeConfChange(e.data);
        this.log(`${id}: applied ${e.index} ${cc.type} ${cc.nodeId}`);
      }
    }
    for (const rs of rd.readStates) {
      n.reads.push({ index: rs.index, context: dec.decode(rs.context) });
      this.log(`${id}: read-state index=${rs.index} ctx=${dec.decode(rs.context)}`);
    }
    n.node.advance();
    return true;
  }

  /** Delivers every queued message once (new ones wait for the next round). */
  deliverAll(): number {
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) {
      if (this.cut.has(`${m.from}-${m.to}`) || !this.nodes.has(m.to)) {
        this.log(`  dropped ${describeMessage(m)}`);
        continue;
      }
      this.log(`  ${describeMessage(m)}`);
      this.get(m.to).node.step(m);
    }
    return batch.length;
  }

  /** Ready cycles and deliveries until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const id of [...this.nodes.keys()].sort((a, b) => a - b)) moved = this.processReady(id) || moved;
      moved = this.deliverAll() > 0 || moved;
      if (!moved) return;
    }
    throw new Error(`not stable after ${maxRounds} rounds`);
  }

  tick(id: number, times: number): void {
    for (let i = 0; i < times; i++) this.get(id).node.tick();
  }

  /** Ticks every node `times` times, stabilizing after each tick. */
  tickAll(times: number): void {
    for (let i = 0; i < times; i++) {
      for (const n of this.nodes.values()) n.node.tick();
      this.stabilize();
    }
  }

  /** Runs `fn`, logging a ProposalDroppedError instead of throwing it. */
  tryPropose(id: number, fn: (n: RawNode) => void): void {
    try {
      fn(this.get(id).node);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.log(`${id}: dropped: ${err.reason}`);
    }
  }

  propose(id: number, data: string): void {
    this.tryPropose(id, (n) => n.propose(enc.encode(data)));
  }

  proposeConfChange(id: number, cc: ConfChange): void {
    this.tryPropose(id, (n) => n.proposeConfChange(cc));
  }

  readIndex(id: number, context: string): void {
    this.get(id).node.readIndex(enc.encode(context));
  }

  /** Snapshots node `id`'s state machine at its applied index and compacts its log. */
  compact(id: number): void {
    const n = this.get(id);
    const snap = n.storage.createSnapshot(
      n.appliedIndex,
      n.node.confState(),
      enc.encode(JSON.stringify(n.applied)),
    );
    this.log(
      `${id}: snapshot at ${snap.meta.index}, log now [${n.storage.firstIndex()}, ${n.storage.lastIndex()}]`,
    );
  }

  status(id: number): string {
    const s = this.get(id).node.status();
    return (
      `${id}: ${s.role} term=${s.term} lead=${s.leaderId} commit=${s.commitIndex} applied=${s.appliedIndex} ` +
      `last=${s.lastIndex} voters=${s.conf.voters.join(",")}${s.conf.learners.length ? ` learners=${s.conf.learners.join(",")}` : ""}`
    );
  }

  /** The log as term/index pairs (or "snap" up to the snapshot). */
  logOf(id: number): string {
    const n = this.get(id);
    const first = n.storage.firstIndex();
    const parts = first > 1 ? [`snap@${first - 1}`] : [];
    for (const e of n.storage.entries(first, n.storage.lastIndex() + 1))
      parts.push(`${e.term}/${e.index}${e.type === "normal" ? `:${dec.decode(e.data)}` : `:${e.type}`}`);
    return `${id}: ${parts.join(" ")}`;
  }
}
