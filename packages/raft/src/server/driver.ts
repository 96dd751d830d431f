// The driver: the only place where the pure core meets timers, the disk and the network. It ticks the RawNode
// on an interval, steps received messages into it, and handles each Ready in the order the core prescribes:
// send `messages`, persist (snapshot, entries, hard state) and fsync, send `persistedMessages`, apply, advance.
import { randomBytes } from "node:crypto";
import type { Entry } from "../entry.js";
import { ProposalDroppedError } from "../errors.js";
import type { Message } from "../message.js";
import { SeededRandom } from "../random.js";
import { RawNode, type Ready, type Status } from "../raw-node.js";
import { contextKey } from "../read-only.js";
import { decodeBatch, encodeBatch } from "./batch.js";
import {
  type RaftDriverOptions,
  type ResolvedDriverOptions,
  resolveDriverOptions,
} from "./driver-options.js";
import {
  DriverStoppedError,
  NotLeaderError,
  OutcomeUnknownError,
  OverloadedError,
  ProposalLostError,
  ReadTimeoutError,
} from "./errors.js";

export type { DriverLogger, RaftDriverOptions, StateMachine } from "./driver-options.js";

interface Waiter<R> {
  id: string;
  index: number;
  resolve(v: { index: number; result: R }): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  index: number;
  resolve(index: number): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class RaftDriver<R> {
  readonly node: RawNode;
  private readonly waiters = new Map<string, Waiter<R>>();
  private readonly waitersByIndex = new Map<number, Set<Waiter<R>>>();
  /** Commands proposed since the last Ready, proposed together as one entry. */
  private batch: { data: Uint8Array; waiter: Waiter<R> }[] = [];
  private readonly reads = new Map<string, PendingRead>();
  /** Confirmed reads waiting for the state machine to catch up. */
  private readyReads: PendingRead[] = [];
  private applied: number;
  private ticker: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  private role: Status["role"] = "follower";
  private leaderId = 0;

  private readonly o: ResolvedDriverOptions<R>;

  /** Throws RaftConfigError for options that cannot work (see resolveDriverOptions). */
  constructor(options: RaftDriverOptions<R>) {
    const o = resolveDriverOptions(options);
    this.o = o;
    const snap = o.storage.snapshot();
    o.stateMachine.restore(snap.data);
    this.applied = snap.meta.index;
    this.node = new RawNode({
      id: o.id,
      storage: o.storage,
      random: new SeededRandom(randomBytes(4).readUInt32LE(0)),
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      applied: this.applied,
    });
  }

  start(): void {
    // ticks follow the wall clock: a timer that fires late (a busy event loop, a long fsync) catches up with
    // up to three heartbeats' worth of extra ticks, so that timeouts mean milliseconds rather than "timer
    // callbacks that got to run"; the count of ticks never drifts from the clock by more than that
    const startMs = performance.now();
    const maxCatchUp = this.o.maxCatchUpHeartbeats * this.o.heartbeatTicks;
    let ticks = 0;
    this.ticker = setInterval(() => {
      const due = Math.floor((performance.now() - startMs) / this.o.tickMs);
      const n = Math.min(maxCatchUp, Math.max(1, due - ticks));
      ticks = Math.max(ticks + n, due - maxCatchUp);
      for (let i = 0; i < n; i++) this.node.tick();
      this.schedule();
    }, this.o.tickMs);
    this.schedule();
  }

  /** Stops ticking; pending writes fail as unknown, pending reads as stopped. */
  stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const w of this.waiters.values()) this.failWaiter(w, new OutcomeUnknownError("the node stopped"));
    for (const [key, r] of this.reads) {
      clearTimeout(r.timer);
      r.reject(new DriverStoppedError());
      this.reads.delete(key);
    }
  }

  /** Feeds a message from a peer (the transport's handler). */
  receive(m: Message): void {
    if (this.stopped) return;
    this.node.step(m);
    this.schedule();
  }

  /**
   * The transport saw peer `id`'s connection close (a killed process closes its sockets at once). When `id`
   * leads, this node stops waiting out its election timeout and campaigns at its next tick.
   */
  peerConnectionLost(id: number): void {
    if (this.stopped || !this.node.leaderConnectionLost(id)) return;
    this.o.log?.info(
      { peer: id },
      "the leader's connection closed: campaigning without waiting out the timeout",
    );
    this.schedule();
  }

  status(): Status {
    return this.node.status();
  }

  get leader(): number {
    return this.leaderId;
  }

  /**
   * Proposes a command carrying `proposalId`; resolves once applied here, with its log index and result.
   * Commands proposed in the same turn of the event loop travel in one entry.
   */
  propose(data: Uint8Array, proposalId: string): Promise<{ index: number; result: R }> {
    if (this.stopped) return Promise.reject(new DriverStoppedError());
    if (this.role !== "leader") return Promise.reject(new NotLeaderError(this.o.id, this.leaderId));
    if (this.waiters.size >= this.o.maxPendingProposals)
      return Promise.reject(new OverloadedError(this.waiters.size));
    const timeoutMs = this.o.proposalTimeoutMs;
    return new Promise((resolve, reject) => {
      const w: Waiter<R> = {
        id: proposalId,
        index: 0,
        resolve,
        reject,
        timer: setTimeout(
          () => this.failWaiter(w, new OutcomeUnknownError(`not applied within ${timeoutMs} ms`)),
          timeoutMs,
        ),
      };
      this.waiters.set(proposalId, w);
      this.batch.push({ data, waiter: w });
      this.schedule();
    });
  }

  /** Confirms leadership with a quorum (ReadIndex) and resolves once the state machine has applied that far. */
  readIndex(): Promise<number> {
    if (this.stopped) return Promise.reject(new DriverStoppedError());
    if (this.role !== "leader") return Promise.reject(new NotLeaderError(this.o.id, this.leaderId));
    const ctx = randomBytes(16);
    const key = contextKey(ctx);
    const timeoutMs = this.o.readTimeoutMs;
    this.node.readIndex(ctx);
    return new Promise((resolve, reject) => {
      const r: PendingRead = {
        index: 0,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.reads.delete(key);
          this.readyReads = this.readyReads.filter((x) => x !== r);
          reject(new ReadTimeoutError(timeoutMs));
        }, timeoutMs),
      };
      this.reads.set(key, r);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.process();
    });
  }

  private process(): void {
    this.proposeBatch();
    for (let i = 0; i < 8 && !this.stopped && this.node.hasReady(); i++) this.handle(this.node.ready());
    if (!this.stopped && this.node.hasReady()) this.schedule();
  }

  /** Proposes the waiting commands, at most ~1 MiB of them per entry. */
  private proposeBatch(): void {
    while (this.batch.length > 0) {
      let bytes = 0;
      let n = 0;
      while (n < this.batch.length && (n === 0 || bytes + this.batch[n]!.data.length < 1 << 20))
        bytes += this.batch[n++]!.data.length;
      const part = this.batch.splice(0, n);
      try {
        if (this.role !== "leader") throw new NotLeaderError(this.o.id, this.leaderId);
        this.node.propose(encodeBatch(part.map((p) => p.data)));
      } catch (err) {
        const e =
          err instanceof ProposalDroppedError
            ? new NotLeaderError(this.o.id, this.leaderId, err.reason)
            : err;
        if (!(e instanceof NotLeaderError)) throw e;
        for (const p of part) this.failWaiter(p.waiter, e);
      }
    }
  }

  private handle(rd: Ready): void {
    const { storage, transport, stateMachine } = this.o;
    if (rd.softState) {
      if (rd.softState.role !== this.role || rd.softState.leaderId !== this.leaderId)
        this.o.log?.info({ role: rd.softState.role, leaderId: rd.softState.leaderId }, "raft role");
      this.role = rd.softState.role;
      this.leaderId = rd.softState.leaderId;
    }
    transport.send(rd.messages);
    if (rd.snapshot) {
      storage.applySnapshot(rd.snapshot);
      stateMachine.restore(rd.snapshot.data);
      this.applied = rd.snapshot.meta.index;
      for (const w of this.waiters.values())
        if (w.index === 0 || w.index <= this.applied)
          this.failWaiter(w, new OutcomeUnknownError("overtaken by a snapshot"));
      this.o.log?.info({ index: rd.snapshot.meta.index, term: rd.snapshot.meta.term }, "installed snapshot");
    }
    if (rd.entries.length > 0) {
      storage.append(rd.entries);
      this.noteOwnEntries(rd.entries);
    }
    if (rd.hardState) storage.setHardState(rd.hardState);
    if (rd.mustSync) storage.sync();
    transport.send(rd.persistedMessages);
    for (const e of rd.committedEntries) this.apply(e);
    for (const rs of rd.readStates) {
      const r = this.reads.get(contextKey(rs.context));
      if (!r) continue;
      this.reads.delete(contextKey(rs.context));
      r.index = rs.index;
      this.readyReads.push(r);
    }
    this.serveReads();
    this.node.advance();
    this.maybeSnapshot();
  }

  /** Where this node's own proposals landed in its log. */
  private noteOwnEntries(entries: Entry[]): void {
    if (this.waiters.size === 0) return;
    for (const e of entries) {
      if (e.type !== "normal" || e.data.length === 0) continue;
      for (const cmd of decodeBatch(e.data)) {
        const w = this.waiters.get(this.o.stateMachine.proposalId(cmd) ?? "");
        if (!w) continue;
        this.unindex(w);
        w.index = e.index;
        const set = this.waitersByIndex.get(e.index) ?? new Set<Waiter<R>>();
        set.add(w);
        this.waitersByIndex.set(e.index, set);
      }
    }
  }

  private unindex(w: Waiter<R>): void {
    if (w.index === 0) return;
    const set = this.waitersByIndex.get(w.index);
    set?.delete(w);
    if (set?.size === 0) this.waitersByIndex.delete(w.index);
  }

  private apply(e: Entry): void {
    if (e.index <= this.applied) return;
    this.applied = e.index;
    if (e.type === "normal" && e.data.length > 0)
      for (const cmd of decodeBatch(e.data)) {
        const { proposalId, result } = this.o.stateMachine.apply(cmd);
        const w = proposalId === undefined ? undefined : this.waiters.get(proposalId);
        if (w) {
          this.forget(w);
          w.resolve({ index: e.index, result });
        }
      }
    // whatever of ours was at this index and was not just applied can never be
    const displaced = this.waitersByIndex.get(e.index);
    if (displaced) for (const w of [...displaced]) this.failWaiter(w, new ProposalLostError(e.index));
  }

  private serveReads(): void {
    if (this.readyReads.length === 0) return;
    const still: PendingRead[] = [];
    for (const r of this.readyReads) {
      if (r.index <= this.applied) {
        clearTimeout(r.timer);
        r.resolve(r.index);
      } else still.push(r);
    }
    this.readyReads = still;
  }

  private maybeSnapshot(): void {
    const every = this.o.snapshotEntries;
    const { storage } = this.o;
    if (this.applied - storage.snapshot().meta.index < every) return;
    storage.createSnapshot(this.applied, this.node.confState(), this.o.stateMachine.snapshot());
    this.o.log?.info({ index: this.applied }, "snapshot taken");
  }

  private failWaiter(w: Waiter<R>, err: Error): void {
    this.forget(w);
    w.reject(err);
  }

  private forget(w: Waiter<R>): void {
    clearTimeout(w.timer);
    this.waiters.delete(w.id);
    this.unindex(w);
    if (this.batch.length > 0) this.batch = this.batch.filter((p) => p.waiter !== w);
  }
}
