// How the leader handles each message: proposals (with the single-server membership rules), append and
// heartbeat responses, snapshot chunk acks, ReadIndex and leadership transfer.
import { decodeConfChange } from "./conf-change.js";
import type { Entry } from "./entry.js";
import { ProposalDroppedError } from "./errors.js";
import type { Message } from "./message.js";
import type { Raft } from "./raft.js";
import {
  bcastAppend,
  handleReadIndex,
  maybeCommit,
  respondRead,
  sendAppend,
  sendSnapshotChunk,
  sendTimeoutNow,
} from "./replication.js";

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case "prop":
      propose(r, m.entries ?? []);
      return;
    case "readIndex":
      if (r.log.term(r.log.committed) !== r.term && !(r.prs.voters.length === 1 && r.prs.isVoter(r.id)))
        r.pendingReadIndex.push(m); // answer after the first commit of this term
      else handleReadIndex(r, m);
      return;
    case "appResp":
      onAppendResponse(r, m);
      return;
    case "heartbeatResp":
      onHeartbeatResponse(r, m);
      return;
    case "snapResp":
      onSnapshotResponse(r, m);
      return;
    case "transferLeader":
      transferLeader(r, m.index ?? 0);
      return;
    default:
      return; // stale votes and responses, our own term's leftovers
  }
}

function propose(r: Raft, entries: Entry[]): void {
  const drop = (reason: ProposalDroppedError["reason"]) => {
    throw new ProposalDroppedError(reason, r.id, r.term);
  };
  if (!r.prs.progress.has(r.id)) drop("removed");
  if (r.leadTransferee !== 0) drop("transferring");
  for (const e of entries) {
    if (e.type !== "conf") continue;
    if (r.pendingConfIndex > r.log.applied) drop("conf-change-pending");
    if (r.log.term(r.log.committed) !== r.term) drop("term-not-committed");
    const cc = decodeConfChange(e.data);
    const pr = r.prs.progress.get(cc.nodeId);
    if (cc.type === "addVoter" && pr?.isLearner && pr.match + r.cfg.maxLearnerLagEntries < r.log.lastIndex())
      drop("learner-behind");
  }
  r.appendEntries(entries);
  bcastAppend(r);
}

function onAppendResponse(r: Raft, m: Message): void {
  const pr = r.prs.progress.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  const index = m.index ?? 0;
  if (m.reject) {
    let hint = m.rejectHint ?? 0;
    if ((m.logTerm ?? 0) > 0) hint = r.log.findConflictByTerm(hint, m.logTerm ?? 0).index;
    if (pr.maybeDecrTo(index, hint)) {
      if (pr.state === "replicate") pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(index) && !(pr.match === index && pr.state === "probe")) return;
  if (pr.state === "probe") pr.becomeReplicate();
  else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === "replicate") pr.inflights.freeLE(index);

  if (maybeCommit(r)) bcastAppend(r);
  else if (wasPaused) sendAppend(r, m.from);
  // keep the pipeline full
  while (sendAppend(r, m.from, false)) {}
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function onHeartbeatResponse(r: Raft, m: Message): void {
  const pr = r.prs.progress.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  pr.probeSent = false;
  // appends in a full window may all have been lost: let one more through (a gap makes the follower reject)
  if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.state === "snapshot")
    sendSnapshotChunk(r, m.from); // resend a lost chunk
  else if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);

  const ctx = m.context;
  if (!ctx || ctx.length === 0) return;
  const acks = r.readOnly.ack(ctx, m.from);
  if (!acks) return;
  let voters = 0;
  for (const id of acks) if (r.prs.isVoter(id)) voters++;
  if (voters < r.prs.quorum()) return;
  for (const read of r.readOnly.advance(ctx)) respondRead(r, read.from, read.index, read.context);
}

function onSnapshotResponse(r: Raft, m: Message): void {
  const pr = r.prs.progress.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  if (pr.state !== "snapshot" || m.index !== pr.pendingSnapshot) return;
  const offset = m.snapOffset ?? 0;
  if (m.reject || offset > pr.snapOffset) {
    pr.snapOffset = offset;
    sendSnapshotChunk(r, m.from);
  }
}

function transferLeader(r: Raft, target: number): void {
  const pr = r.prs.progress.get(target);
  if (!pr || pr.isLearner || target === r.id) return;
  if (r.leadTransferee === target) return;
  r.leadTransferee = target;
  r.electionElapsed = 0; // the transfer must finish within one election timeout
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, target);
  else sendAppend(r, target);
}
