// Membership, per-peer progress, majority arithmetic (commit index, vote tallies, check-quorum).
import type { ConfState } from "./entry.js";
import { Progress } from "./progress.js";

export type VoteResult = "won" | "lost" | "pending";

/** Index that a majority of `voters` has reached, given each voter's match index. */
export function majorityIndex(voters: readonly number[], match: (id: number) => number): number {
  if (voters.length === 0) return Number.MAX_SAFE_INTEGER; // no voters: nothing constrains (etcd's convention)
  const m = voters.map(match).sort((a, b) => b - a);
  return m[Math.floor(voters.length / 2)] ?? 0;
}

export class ProgressTracker {
  voters: number[] = [];
  learners: number[] = [];
  readonly progress = new Map<number, Progress>();
  /** Votes received in the current election: id → granted. */
  readonly votes = new Map<number, boolean>();

  constructor(readonly maxInflight: number) {}

  conf(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  /** Installs a membership; keeps the progress of peers that stay, adds fresh progress for new ones. */
  setConf(conf: ConfState, nextIndex: number): void {
    this.voters = [...conf.voters].sort((a, b) => a - b);
    this.learners = [...conf.learners].sort((a, b) => a - b);
    const all = new Set([...this.voters, ...this.learners]);
    for (const id of [...this.progress.keys()]) if (!all.has(id)) this.progress.delete(id);
    for (const id of all) {
      const pr = this.progress.get(id);
      if (pr) pr.isLearner = this.learners.includes(id);
      else this.progress.set(id, new Progress(nextIndex, this.maxInflight, this.learners.includes(id)));
    }
  }

  /** Fresh progress for everyone (on becoming leader or after restoring a snapshot). */
  resetProgress(nextIndex: number): void {
    for (const id of [...this.progress.keys()]) {
      const pr = this.progress.get(id)!;
      this.progress.set(id, new Progress(nextIndex, this.maxInflight, pr.isLearner));
    }
  }

  isVoter(id: number): boolean {
    return this.voters.includes(id);
  }

  committed(): number {
    return majorityIndex(this.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  quorum(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Whether `id` answered the current (pre-)vote. */
  hasVoted(id: number): boolean {
    return this.votes.has(id);
  }

  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = this.quorum();
    const result: VoteResult = granted >= q ? "won" : rejected > this.voters.length - q ? "lost" : "pending";
    return { granted, rejected, result };
  }

  /** Whether a majority of voters (counting `self`) was recently active. */
  quorumActive(self: number): boolean {
    let n = 0;
    for (const id of this.voters) if (id === self || this.progress.get(id)?.recentActive) n++;
    return n >= this.quorum();
  }
}
