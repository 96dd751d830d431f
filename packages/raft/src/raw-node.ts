// The public face of the core: feed it ticks, messages and requests; take a Ready; persist, send, apply;
// then advance(). Nothing here touches a clock, a socket or a file.

import { type ConfChange, encodeConfChange } from "./conf-change.js";
import type { RaftConfig } from "./config.js";
import type { ConfState, Entry, HardState, Snapshot } from "./entry.js";
import { ProposalDroppedError } from "./errors.js";
import type { Message } from "./message.js";
import type { ProgressState } from "./progress.js";
import { Raft, type Role } from "./raft.js";
import type { ReadState } from "./read-only.js";

/** Who leads, as this node sees it; present in a Ready only when it changed. */
export interface SoftState {
  leaderId: number;
  role: Role;
}

/**
 * One batch of work for the driver. Handle it in this order:
 * 1. send `messages` (they do not depend on this Ready's writes; a leader replicates while it writes);
 * 2. persist: `snapshot` via storage.applySnapshot (and restore the state machine from it), `entries` via
 *    storage.append, `hardState` via storage.setHardState; then storage.sync() if `mustSync`;
 * 3. send `persistedMessages` (votes and acknowledgements: only true once step 2 is durable);
 * 4. apply `committedEntries` in order and serve `readStates` whose index is applied;
 * 5. call advance().
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  messages: Message[];
  persistedMessages: Message[];
  committedEntries: Entry[];
  readStates: ReadState[];
  /** Whether the writes of step 2 must be fsynced before step 3. */
  mustSync: boolean;
}

export interface PeerStatus {
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
}

export interface Status {
  id: number;
  role: Role;
  term: number;
  leaderId: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  conf: ConfState;
  /** On the leader only. */
  progress?: Record<number, PeerStatus>;
}

export class RawNode {
  private readonly raft: Raft;
  private prevHardState: HardState;
  private prevSoft: SoftState;
  private pending: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevHardState = this.hardState();
    this.prevSoft = this.softState();
  }

  get id(): number {
    return this.raft.id;
  }

  /** This node's role and term right now (cheaper than status()). */
  get role(): Role {
    return this.raft.role;
  }

  get term(): number {
    return this.raft.term;
  }

  /** Advances logical time by one tick (elections, heartbeats, check-quorum). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first when enabled). */
  campaign(): void {
    this.raft.hup();
  }

  /** The connection from peer `id` closed; if it is the leader, campaign at the next tick (see Raft). */
  leaderConnectionLost(id: number): boolean {
    return this.raft.leaderConnectionLost(id);
  }

  /** Proposes data for the log; forwarded when this node follows. Throws ProposalDroppedError. */
  propose(data: Uint8Array): void {
    this.raft.step({ type: "prop", from: this.id, to: this.id, term: 0, entries: [entry("normal", data)] });
  }

  /**
   * Proposes several entries at once: they are appended together and leave in as few AppendEntries as the
   * size limit allows (drivers that collect client writes between Readies use this). Throws like propose().
   */
  proposeBatch(data: readonly Uint8Array[]): void {
    if (data.length === 0) return;
    this.raft.step({
      type: "prop",
      from: this.id,
      to: this.id,
      term: 0,
      entries: data.map((d) => entry("normal", d)),
    });
  }

  /** Proposes one membership change; the leader refuses while another is pending or before its term's commit. */
  proposeConfChange(cc: ConfChange): void {
    this.raft.step({
      type: "prop",
      from: this.id,
      to: this.id,
      term: 0,
      entries: [entry("conf", encodeConfChange(cc))],
    });
  }

  /**
   * Feeds a message received from a peer. Messages addressed elsewhere are a driver bug. A forwarded proposal
   * that cannot be taken (no leader, transfer in progress, ...) is dropped silently: its client times out.
   */
  step(m: Message): void {
    if (m.to !== this.id) throw new Error(`node ${this.id} got a message for ${m.to}`);
    try {
      this.raft.step(m);
    } catch (err) {
      if (err instanceof ProposalDroppedError) return;
      throw err;
    }
  }

  /**
   * Requests a linearizable read; a ReadState with the same context appears in a later Ready (or never, if
   * leadership changes: retry after a timeout). `context` must be unique among reads in flight.
   */
  readIndex(context: Uint8Array): void {
    this.raft.step({ type: "readIndex", from: this.id, to: this.id, term: 0, context });
  }

  /** Asks the leader (this node, or forwarded) to hand leadership to `target`. */
  transferLeader(target: number): void {
    this.raft.step({ type: "transferLeader", from: this.id, to: this.id, term: 0, index: target });
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      r.msgs.length > 0 ||
      r.msgsAfterPersist.length > 0 ||
      r.readStates.length > 0 ||
      r.log.unstable.entries.length > 0 ||
      r.log.unstable.snapshot !== undefined ||
      r.log.hasNextCommittedEntries() ||
      r.term !== this.prevHardState.term ||
      r.vote !== this.prevHardState.vote ||
      r.log.committed !== this.prevHardState.commit ||
      r.lead !== this.prevSoft.leaderId ||
      r.role !== this.prevSoft.role
    );
  }

  /** The next batch of work. Call advance() once it is handled; no second ready() before that. */
  ready(): Ready {
    if (this.pending) throw new Error("ready() called again before advance()");
    const r = this.raft;
    const hs = this.hardState();
    const soft = this.softState();
    const entries = [...r.log.unstable.entries];
    const committedEntries = r.log.nextCommittedEntries(r.cfg.maxCommittedSizePerReadyBytes);
    const rd: Ready = {
      entries,
      messages: r.msgs,
      persistedMessages: r.msgsAfterPersist,
      committedEntries,
      readStates: r.readStates,
      mustSync:
        entries.length > 0 || hs.term !== this.prevHardState.term || hs.vote !== this.prevHardState.vote,
    };
    if (!sameSoft(soft, this.prevSoft)) rd.softState = soft;
    if (!sameHardState(hs, this.prevHardState)) rd.hardState = hs;
    if (r.log.unstable.snapshot) {
      rd.snapshot = r.log.unstable.snapshot;
      rd.mustSync = true;
    }
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted) r.log.applying = lastCommitted.index;
    this.pending = rd;
    return rd;
  }

  /** The driver handled the last Ready: its writes are durable and its committed entries applied. */
  advance(): void {
    const rd = this.pending;
    if (!rd) throw new Error("advance() without a ready()");
    this.pending = undefined;
    const r = this.raft;
    if (rd.hardState) this.prevHardState = rd.hardState;
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.snapshot) r.log.unstable.stableSnapTo(rd.snapshot.meta.index);
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry) r.log.unstable.stableTo(lastEntry.index, lastEntry.term);
    r.onPersisted();
    for (const e of rd.committedEntries) if (e.type === "conf") r.applyConfEntry(e);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) r.log.appliedTo(lastCommitted.index);
  }

  /** Membership as of the last applied entry: what to save with a snapshot of the state machine. */
  confState(): ConfState {
    return this.raft.prs.conf();
  }

  status(): Status {
    const r = this.raft;
    const s: Status = {
      id: r.id,
      role: r.role,
      term: r.term,
      leaderId: r.lead,
      commitIndex: r.log.committed,
      appliedIndex: r.log.applied,
      lastIndex: r.log.lastIndex(),
      conf: r.prs.conf(),
    };
    if (r.role === "leader") {
      s.progress = {};
      for (const [id, pr] of r.prs.progress)
        s.progress[id] = { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner };
    }
    return s;
  }

  /** Term of entry i as this node sees it (0 when compacted or absent); for checkers and tests. */
  termAt(i: number): number {
    return this.raft.log.term(i);
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  private softState(): SoftState {
    return { leaderId: this.raft.lead, role: this.raft.role };
  }
}

function entry(type: Entry["type"], data: Uint8Array): Entry {
  return { index: 0, term: 0, type, data };
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.leaderId === b.leaderId && a.role === b.role;
}
