// The Raft state machine: roles, terms, timers in ticks, and the term rules every message passes through.
// Role-specific handling lives in leader.ts and follower.ts, sending in replication.ts.

import { applyConfChange, type ConfChange, decodeConfChange } from "./conf-change.js";
import { type RaftConfig, type ResolvedConfig, resolveConfig } from "./config.js";
import type { ConfState, Entry, Snapshot, SnapshotMeta } from "./entry.js";
import { stepCandidate, stepFollower } from "./follower.js";
import { stepLeader } from "./leader.js";
import type { Message } from "./message.js";
import { RaftLog } from "./raft-log.js";
import { ReadOnly, type ReadState } from "./read-only.js";
import { bcastAppend, bcastHeartbeat, maybeCommit } from "./replication.js";
import { ProgressTracker } from "./tracker.js";

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/** Message types a leader may send before its own writes are durable (nothing in them depends on them). */
const LEADER_EARLY = new Set(["app", "heartbeat", "snap", "timeoutNow", "readIndexResp"]);

/** An InstallSnapshot being received chunk by chunk. */
export interface IncomingSnapshot {
  meta: SnapshotMeta;
  chunks: Uint8Array[];
  bytes: number;
}

export class Raft {
  readonly id: number;
  readonly cfg: ResolvedConfig;
  term = 0;
  vote = 0;
  lead = 0;
  role: Role = "follower";
  readonly log: RaftLog;
  readonly prs: ProgressTracker;
  readonly readOnly = new ReadOnly();
  /** Outgoing messages that may leave at once, and those that must wait until the Ready is persisted. */
  msgs: Message[] = [];
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee = 0;
  /** Index of the last conf entry the leader appended; no new change until it is applied. */
  pendingConfIndex = 0;
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  pendingReadIndex: Message[] = [];
  incomingSnapshot: IncomingSnapshot | undefined;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    const storage = this.cfg.storage;
    const { hardState, conf } = storage.initialState();
    this.log = new RaftLog(storage, this.cfg.applied);
    this.prs = new ProgressTracker(this.cfg.maxInflightMsgs);
    this.prs.setConf(conf, this.log.lastIndex() + 1);
    if (hardState.commit > this.log.lastIndex())
      throw new Error(
        `hard state commit ${hardState.commit} is beyond the last index ${this.log.lastIndex()}`,
      );
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.log.commitTo(hardState.commit);
    if (this.log.applied > this.log.committed)
      throw new Error(`applied ${this.log.applied} is beyond commit ${this.log.committed}`);
    this.becomeFollower(this.term, 0);
  }

  // ---- sending ---------------------------------------------------------------------------------------

  send(m: Message): void {
    if (m.term === 0 && m.type !== "prop" && m.type !== "readIndex" && m.type !== "transferLeader")
      m.term = this.term;
    if (this.role === "leader" && LEADER_EARLY.has(m.type)) this.msgs.push(m);
    else this.msgsAfterPersist.push(m);
  }

  // ---- role transitions ------------------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = 0;
    }
    this.lead = 0;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.random.int(this.cfg.electionTicks);
    this.leadTransferee = 0;
    this.prs.resetVotes();
    this.prs.resetProgress(this.log.lastIndex() + 1);
    const self = this.prs.progress.get(this.id);
    if (self) self.match = this.log.persistedIndex();
    this.pendingConfIndex = 0;
    this.pendingReadIndex = [];
    this.readOnly.reset();
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.role = "follower";
  }

  becomePreCandidate(): void {
    if (this.role === "leader") throw new Error("leader cannot become pre-candidate");
    this.prs.resetVotes();
    this.lead = 0;
    this.role = "preCandidate";
  }

  becomeCandidate(): void {
    if (this.role === "leader") throw new Error("leader cannot become candidate");
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
  }

  becomeLeader(): void {
    if (this.role === "follower") throw new Error("follower cannot become leader directly");
    // the voters that just granted their vote were heard from now: they count as active for check-quorum's
    // first window, so a new leader whose followers are slow to answer its first append (a CPU-starved host)
    // does not step down at once and throw the region into another election
    const voted = [...this.prs.votes].filter(([, granted]) => granted).map(([id]) => id);
    this.reset(this.term);
    for (const id of voted) {
      const pr = this.prs.progress.get(id);
      if (pr) pr.recentActive = true;
    }
    this.lead = this.id;
    this.role = "leader";
    this.prs.progress.get(this.id)?.becomeReplicate();
    // any conf entry in the uncommitted tail may still be pending: be conservative
    this.pendingConfIndex = this.log.lastIndex();
    this.appendEntries([{ index: 0, term: 0, type: "noop", data: new Uint8Array() }]);
    bcastAppend(this);
  }

  /** Leader: stamps index and term on new entries and appends them. */
  appendEntries(entries: Entry[]): void {
    let li = this.log.lastIndex();
    const stamped = entries.map((e) => ({ ...e, index: ++li, term: this.term }));
    for (const e of stamped) if (e.type === "conf") this.pendingConfIndex = e.index;
    this.log.append(stamped);
  }

  // ---- elections -------------------------------------------------------------------------------------

  promotable(): boolean {
    const pr = this.prs.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && this.prs.isVoter(this.id) && !this.log.unstable.snapshot;
  }

  /**
   * The transport saw the connection from `id` close (its process is gone, or it shut down). If `id` is the
   * leader this node follows, its lease is over and the election timeout is cut short: the next tick starts a
   * pre-vote instead of waiting out [electionTicks, 2·electionTicks). Safety never rests on timing; if the
   * leader is in fact alive, the pre-vote is refused by voters that still hear it and its next heartbeat makes
   * this node a follower again. Returns whether anything changed.
   */
  leaderConnectionLost(id: number): boolean {
    if (this.role !== "follower" || this.lead !== id || id === this.id) return false;
    this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTimeout);
    return true;
  }

  /** Election timeout (or `campaign()`): start a pre-vote, or a vote when pre-vote is off or forced. */
  hup(transfer = false): void {
    if (this.role === "leader" || !this.promotable()) return;
    // a committed but unapplied conf change could change who may vote: apply it first
    if (this.log.applied < this.log.committed) {
      const ents = this.log.slice(
        Math.max(this.log.applied + 1, this.log.firstIndex()),
        this.log.committed + 1,
      );
      if (ents.some((e) => e.type === "conf")) return;
    }
    if (this.cfg.preVote && !transfer) this.campaign("preVote", false);
    else this.campaign("vote", transfer);
  }

  campaign(kind: "preVote" | "vote", transfer: boolean): void {
    let term: number;
    if (kind === "preVote") {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.prs.recordVote(this.id, true);
    if (this.prs.tallyVotes().result === "won") {
      if (kind === "preVote") this.campaign("vote", transfer);
      else this.becomeLeader();
      return;
    }
    this.requestVotes(kind, term, transfer, false);
  }

  /** Sends vote (or pre-vote) requests to the other voters; with `unansweredOnly`, to those not heard from. */
  private requestVotes(
    kind: "preVote" | "vote",
    term: number,
    transfer: boolean,
    unansweredOnly: boolean,
  ): void {
    for (const id of this.prs.voters) {
      if (id === this.id || (unansweredOnly && this.prs.hasVoted(id))) continue;
      this.send({
        type: kind,
        from: this.id,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        transfer,
      });
    }
  }

  // ---- ticks -----------------------------------------------------------------------------------------

  tick(): void {
    if (this.role === "leader") this.tickLeader();
    else {
      this.electionElapsed++;
      if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
        this.electionElapsed = 0;
        this.hup();
      } else if (
        this.role === "preCandidate" &&
        this.cfg.preVoteRetry &&
        this.promotable() &&
        this.electionElapsed % this.cfg.heartbeatTicks === 0
      ) {
        // A voter still inside its leader lease ignores a pre-vote without answering (as in etcd). Its lease
        // may end a tick later: ask again every heartbeat rather than after a whole randomised timeout. A
        // pre-vote changes no term and no vote anywhere, so asking again is harmless.
        this.requestVotes("preVote", this.term + 1, false, true);
      }
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.prs.quorumActive(this.id)) {
          this.becomeFollower(this.term, 0);
          return;
        }
        for (const [id, pr] of this.prs.progress) pr.recentActive = id === this.id;
      }
      if (this.leadTransferee !== 0) this.leadTransferee = 0; // transfer took too long: abort
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this);
    }
  }

  // ---- messages --------------------------------------------------------------------------------------

  private inLease(): boolean {
    return this.cfg.checkQuorum && this.lead !== 0 && this.electionElapsed < this.cfg.electionTicks;
  }

  step(m: Message): void {
    if (m.term === 0) {
      // proposals, reads and transfer requests are not term-checked
    } else if (m.term > this.term) {
      if ((m.type === "vote" || m.type === "preVote") && !m.transfer && this.inLease()) return;
      if (m.type === "preVote" || (m.type === "preVoteResp" && !m.reject)) {
        // a pre-vote never changes our term
      } else if (m.type === "app" || m.type === "heartbeat" || m.type === "snap") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, 0);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === "heartbeat" || m.type === "app")) {
        // tell a stale leader (e.g. one rejoining after a partition) that there is a newer term
        this.send({ type: "appResp", from: this.id, to: m.from, term: this.term });
      } else if (m.type === "preVote") {
        this.send({ type: "preVoteResp", from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === "vote" || m.type === "preVote") {
      this.handleVoteRequest(m);
      return;
    }
    if (this.role === "leader") stepLeader(this, m);
    else if (this.role === "follower") stepFollower(this, m);
    else stepCandidate(this, m);
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === 0 && this.lead === 0) ||
      (m.type === "preVote" && m.term > this.term);
    const respType = m.type === "vote" ? "voteResp" : "preVoteResp";
    if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0) && !this.outranks(m)) {
      this.send({ type: respType, from: this.id, to: m.from, term: m.term });
      if (m.type === "vote") {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  /**
   * Two pre-candidates whose pre-votes cross would both pass and then split the real vote (one more randomised
   * timeout). With equally up-to-date logs, a pre-candidate grants only a lower id (`preVoteTieBreak`).
   */
  private outranks(m: Message): boolean {
    return (
      this.cfg.preVoteTieBreak &&
      m.type === "preVote" &&
      this.role === "preCandidate" &&
      m.from > this.id &&
      m.logTerm === this.log.lastTerm() &&
      m.index === this.log.lastIndex()
    );
  }

  // ---- state changes the driver acknowledges ---------------------------------------------------------

  /** The driver made everything up to the log's persisted index durable. */
  onPersisted(): void {
    if (this.role !== "leader") return;
    const self = this.prs.progress.get(this.id);
    if (self?.maybeUpdate(this.log.persistedIndex()) && maybeCommit(this)) bcastAppend(this);
  }

  /** A committed conf entry was applied: the new membership takes effect. */
  applyConfEntry(e: Entry): ConfState {
    const cc: ConfChange = decodeConfChange(e.data);
    const conf = applyConfChange(this.prs.conf(), cc);
    this.prs.setConf(conf, this.log.lastIndex() + 1);
    if (this.role === "leader") {
      const self = this.prs.progress.get(this.id);
      if (!self || self.isLearner) {
        this.becomeFollower(this.term, 0); // removed or demoted: let the others elect
      } else {
        if (this.leadTransferee !== 0 && !this.prs.progress.has(this.leadTransferee)) this.leadTransferee = 0;
        maybeCommit(this);
        bcastAppend(this); // new peers learn the log; shrunk quorums learn the new commit
      }
    }
    return conf;
  }

  /** Restores a snapshot received from the leader; false when it is not newer than what we have. */
  restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.prs.setConf(s.meta.conf, this.log.lastIndex() + 1);
    this.prs.resetProgress(this.log.lastIndex() + 1);
    return true;
  }
}
