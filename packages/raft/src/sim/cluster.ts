// A whole Raft cluster in one process: RawNodes on MemoryStorage ("the disk"), the simulated network, the
// KV state machine, clients with their history, crashes and restarts. The driver loop follows Ready's
// contract and can crash a node at each point of it: before persisting (the Ready's writes are lost), after
// persisting but before the acknowledgements leave, and commit-only hard states that were never synced.

import type { ConfChange } from "../conf-change.js";
import { decodeConfChange } from "../conf-change.js";
import type { RaftConfig } from "../config.js";
import type { HardState } from "../entry.js";
import { ProposalDroppedError } from "../errors.js";
import type { MemoryStorage } from "../memory-storage.js";
import type { Message } from "../message.js";
import { SeededRandom } from "../random.js";
import { RawNode } from "../raw-node.js";
import type { SafetyChecker } from "./invariants.js";
import { decodeCommand, encodeCommand, KvStore } from "./kv.js";
import type { HistoryOp, KvInput, KvOutput } from "./linearizability.js";
import type { Network } from "./network.js";

export interface ClientOp extends HistoryOp {
  id: string;
  node: number;
  startTick: number;
  /** Finished: answered, or given up on (output stays undefined: outcome unknown). */
  done: boolean;
  /** Reads that got no answer have no effect and leave the history. */
  discard: boolean;
}

export interface SimNodeConfig {
  /** Handed to every RawNode (drawn per seed). */
  raft: Pick<
    RaftConfig,
    | "electionTicks"
    | "heartbeatTicks"
    | "maxSizePerMsgBytes"
    | "maxInflightMsgs"
    | "snapshotChunkBytes"
    | "preVote"
    | "checkQuorum"
  >;
  snapshotEveryEntries: number;
  /** Probability that a Ready's processing is cut short by a crash (split over the crash points). */
  crashInReadyRate: number;
  /** Inject a known driver bug, to show that the checks catch it. */
  bug?: DriverBug;
}

/**
 * - `local-reads`: answers reads from the local state machine at once, skipping ReadIndex;
 * - `ack-before-persist`: sends votes and acknowledgements before the Ready is durable, and crashes (then
 *   restarts at once) right after that now and then, losing what it acknowledged.
 */
export type DriverBug = "local-reads" | "ack-before-persist";

const enc = new TextEncoder();
const dec = new TextDecoder();

export class SimNode {
  raw: RawNode | undefined;
  kv = new KvStore();
  appliedIndex = 0;
  readonly pendingWrites = new Map<string, ClientOp>();
  readonly pendingReads = new Map<string, ClientOp>();
  servableReads: { index: number; op: ClientOp }[] = [];
  /** A commit-only hard state written without fsync: lost if the node crashes before the next sync. */
  unsyncedHardState: HardState | undefined;
  restarts = 0;

  constructor(
    readonly id: number,
    readonly storage: MemoryStorage,
  ) {}
}

export class Cluster {
  readonly nodes = new Map<number, SimNode>();
  readonly removed = new Set<number>();
  readonly history: ClientOp[] = [];
  tick = 0;
  /** Logical time of client events (calls and returns), strictly increasing. */
  private clock = 0;
  private nextOp = 0;

  constructor(
    private readonly seed: number,
    private readonly rng: SeededRandom,
    readonly net: Network,
    readonly checker: SafetyChecker,
    private readonly cfg: SimNodeConfig,
    private readonly log: (line: string) => void,
  ) {}

  alive(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.raw !== undefined);
  }

  addNode(id: number, storage: MemoryStorage): SimNode {
    const n = new SimNode(id, storage);
    this.nodes.set(id, n);
    this.boot(n);
    return n;
  }

  private boot(n: SimNode): void {
    const snap = n.storage.snapshot();
    n.kv = KvStore.restore(snap.data);
    n.appliedIndex = snap.meta.index;
    n.raw = new RawNode({
      id: n.id,
      storage: n.storage,
      random: new SeededRandom(this.seed * 7919 + n.id * 104729 + n.restarts),
      ...this.cfg.raft,
      applied: snap.meta.index,
    });
  }

  /** From now on, Readies are processed to the end (the healing phase). */
  stopReadyCrashes(): void {
    this.cfg.crashInReadyRate = 0;
  }

  crash(id: number, why: string): void {
    const n = this.nodes.get(id);
    if (!n?.raw) return;
    this.log(`t${this.tick} crash ${id} (${why})`);
    n.raw = undefined;
    n.unsyncedHardState = undefined;
    this.net.dropNode(id);
    for (const op of [...n.pendingWrites.values(), ...n.pendingReads.values()]) this.giveUp(op);
    for (const r of n.servableReads) this.giveUp(r.op);
    n.pendingWrites.clear();
    n.pendingReads.clear();
    n.servableReads = [];
  }

  restart(id: number): void {
    const n = this.nodes.get(id);
    if (!n || n.raw || this.removed.has(id)) return;
    n.restarts++;
    this.log(`t${this.tick} restart ${id}`);
    this.boot(n);
  }

  /** The leader of the highest term among running nodes. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      const raw = n.raw;
      if (raw?.role === "leader" && (!best || raw.term > best.raw!.term)) best = n;
    }
    return best;
  }

  // ---- the driver loop --------------------------------------------------------------------------------

  /** One tick: deliver due messages, run Readies, tick every node, run Readies. */
  step(): void {
    this.tick++;
    for (const m of this.net.due(this.tick)) this.deliver(m);
    this.processAll();
    for (const n of this.nodes.values()) n.raw?.tick();
    this.processAll();
    this.expireOps();
  }

  private deliver(m: Message): void {
    const n = this.nodes.get(m.to);
    if (!n?.raw) return;
    n.raw.step(m);
  }

  processAll(): void {
    for (const n of this.nodes.values()) {
      for (let i = 0; i < 4 && n.raw?.hasReady(); i++) this.processReady(n);
    }
  }

  private maybeCrash(n: SimNode, point: string): boolean {
    if (!this.rng.chance(this.cfg.crashInReadyRate / 2)) return false;
    this.crash(n.id, point);
    return true;
  }

  private processReady(n: SimNode): void {
    const raw = n.raw!;
    const rd = raw.ready();
    if (rd.softState?.role === "leader") {
      this.log(`t${this.tick} ${n.id} leads term ${raw.term}`);
      this.checker.leader(n.id, raw.term, (i) => raw.termAt(i), n.storage.firstIndex());
    }
    for (const m of rd.messages) this.net.send(m, this.tick);
    if (this.cfg.bug === "ack-before-persist" && rd.persistedMessages.length > 0) {
      for (const m of rd.persistedMessages) this.net.send(m, this.tick);
      const acks = rd.persistedMessages.some(
        (m) => (m.type === "voteResp" || m.type === "appResp") && !m.reject,
      );
      if (acks && this.cfg.crashInReadyRate > 0 && this.rng.chance(0.5)) {
        this.crash(n.id, "acknowledged, then lost it");
        this.restart(n.id);
        return;
      }
    }
    if (this.maybeCrash(n, "before persisting a Ready")) return;

    if (rd.snapshot) {
      n.storage.applySnapshot(rd.snapshot);
      n.kv = KvStore.restore(rd.snapshot.data);
      n.appliedIndex = rd.snapshot.meta.index;
    }
    if (rd.entries.length > 0) {
      n.storage.append(rd.entries);
      this.checker.persistedEntries(n.id, rd.entries, (i) => {
        if (i < n.storage.firstIndex() - 1) return undefined;
        return i === 0 ? 0 : n.storage.term(i);
      });
    }
    if (rd.mustSync) {
      const hs = rd.hardState ?? n.unsyncedHardState;
      if (hs) n.storage.setHardState(hs);
      n.unsyncedHardState = undefined;
      n.storage.sync();
    } else if (rd.hardState) {
      n.unsyncedHardState = rd.hardState; // commit index only: no fsync needed, may be lost
    }
    if (this.maybeCrash(n, "after persisting, before acknowledging")) return;
    if (this.cfg.bug !== "ack-before-persist")
      for (const m of rd.persistedMessages) this.net.send(m, this.tick);

    for (const e of rd.committedEntries) {
      this.checker.appliedEntry(n.id, e);
      n.appliedIndex = e.index;
      if (e.type === "normal") {
        const cmd = decodeCommand(e.data);
        const result = n.kv.apply(cmd);
        const op = n.pendingWrites.get(cmd.id);
        if (op) {
          n.pendingWrites.delete(cmd.id);
          this.answer(op, { ok: result.ok });
        }
      } else if (e.type === "conf") {
        const cc = decodeConfChange(e.data);
        if (cc.type === "removeNode" && !this.removed.has(cc.nodeId)) {
          this.removed.add(cc.nodeId);
          this.log(`t${this.tick} node ${cc.nodeId} removed (applied at ${e.index} by ${n.id})`);
        }
      }
    }
    for (const rs of rd.readStates) {
      const op = n.pendingReads.get(dec.decode(rs.context));
      if (!op) continue;
      n.pendingReads.delete(op.id);
      n.servableReads.push({ index: rs.index, op });
    }
    raw.advance();
    // serve reads whose index is applied (linearizable: the read sees at least what was committed when it arrived)
    n.servableReads = n.servableReads.filter((r) => {
      if (r.index > n.appliedIndex) return true;
      this.answer(r.op, { value: n.kv.get(r.op.key) });
      return false;
    });
    if (n.appliedIndex - n.storage.firstIndex() + 1 > this.cfg.snapshotEveryEntries)
      n.storage.createSnapshot(n.appliedIndex, raw.confState(), n.kv.serialize());
  }

  /** Stops nodes whose removal was committed (as an operator would). */
  reapRemoved(): void {
    for (const id of this.removed) {
      const n = this.nodes.get(id);
      if (n?.raw) this.crash(id, "removed from the cluster");
    }
  }

  // ---- clients ----------------------------------------------------------------------------------------

  /** Invokes one operation at node `at`. */
  invoke(at: number, key: string, input: KvInput): ClientOp | undefined {
    const n = this.nodes.get(at);
    if (!n?.raw) return undefined;
    const op: ClientOp = {
      id: `${this.seed}.${++this.nextOp}`,
      key,
      input,
      callTime: ++this.clock,
      node: at,
      startTick: this.tick,
      done: false,
      discard: false,
      label: `${input.type}@${at}`,
    };
    try {
      if (input.type === "get" && this.cfg.bug === "local-reads") {
        this.history.push(op);
        this.answer(op, { value: n.kv.get(key) });
        return op;
      }
      if (input.type === "get") {
        n.raw.readIndex(enc.encode(op.id));
        n.pendingReads.set(op.id, op);
      } else {
        const cmd =
          input.type === "put"
            ? { op: "put" as const, id: op.id, key, value: input.value }
            : { op: "cas" as const, id: op.id, key, old: input.old, value: input.value };
        n.raw.propose(encodeCommand(cmd));
        n.pendingWrites.set(op.id, op);
      }
    } catch (err) {
      if (err instanceof ProposalDroppedError) return undefined; // refused: it never happened
      throw err;
    }
    this.history.push(op);
    return op;
  }

  proposeConfChange(at: number, cc: ConfChange): boolean {
    const n = this.nodes.get(at);
    if (!n?.raw) return false;
    try {
      n.raw.proposeConfChange(cc);
      this.log(`t${this.tick} propose ${cc.type} ${cc.nodeId} at ${at}`);
      return true;
    } catch (err) {
      if (err instanceof ProposalDroppedError) return false;
      throw err;
    }
  }

  private answer(op: ClientOp, output: KvOutput): void {
    if (op.done) return;
    op.output = output;
    op.returnTime = ++this.clock;
    op.done = true;
  }

  private giveUp(op: ClientOp): void {
    if (op.done) return;
    op.done = true;
    if (op.input.type === "get") op.discard = true;
  }

  private expireOps(timeoutTicks = 40): void {
    for (const n of this.nodes.values()) {
      for (const [id, op] of n.pendingWrites)
        if (this.tick - op.startTick > timeoutTicks) {
          n.pendingWrites.delete(id);
          this.giveUp(op);
        }
      for (const [id, op] of n.pendingReads)
        if (this.tick - op.startTick > timeoutTicks) {
          n.pendingReads.delete(id);
          this.giveUp(op);
        }
    }
  }

  /** Every op for the checker: answered ones, and writes of unknown outcome (never returned). */
  finishedHistory(): HistoryOp[] {
    return this.history.filter((op) => !op.discard && !(op.input.type === "get" && op.output === undefined));
  }
}
