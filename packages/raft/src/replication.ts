// What a leader sends: AppendEntries (batched up to maxSizePerMsgBytes, pipelined up to the inflight window),
// heartbeats, InstallSnapshot chunks; and when it may advance its commit index.
import type { Message } from "./message.js";
import type { Raft } from "./raft.js";
import { CompactedError } from "./storage.js";

/**
 * Sends the next AppendEntries to `to` if its progress allows; a snapshot chunk when the entries it needs are
 * compacted. With sendIfEmpty false, sends nothing when there is nothing new. Returns whether it sent.
 */
export function sendAppend(r: Raft, to: number, sendIfEmpty = true): boolean {
  const pr = r.prs.progress.get(to);
  if (!pr || to === r.id || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const last = r.log.lastIndex();
  if (!sendIfEmpty && pr.next > last) return false;
  let entries: Message["entries"];
  let prevTerm: number;
  try {
    prevTerm = r.log.termOrThrow(prevIndex);
    entries = r.log.slice(pr.next, last + 1, r.cfg.maxSizePerMsgBytes);
  } catch (err) {
    if (!(err instanceof CompactedError)) throw err;
    pr.becomeSnapshot(r.log.snapshot().meta.index);
    sendSnapshotChunk(r, to);
    return true;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({
    type: "app",
    from: r.id,
    to,
    term: 0,
    index: prevIndex,
    logTerm: prevTerm,
    entries,
    commit: r.log.committed,
  });
  const lastSent = entries.length > 0 ? entries[entries.length - 1]!.index : prevIndex;
  pr.sentEntries(lastSent, entries.length);
  return true;
}

/** Sends the chunk at the follower's snapshot offset; restarts when a newer snapshot replaced the old one. */
export function sendSnapshotChunk(r: Raft, to: number): void {
  const pr = r.prs.progress.get(to);
  if (!pr) return;
  const snap = r.log.snapshot();
  if (snap.meta.index !== pr.pendingSnapshot) pr.becomeSnapshot(snap.meta.index);
  const offset = Math.min(pr.snapOffset, snap.data.length);
  const data = snap.data.subarray(offset, offset + r.cfg.snapshotChunkBytes);
  r.send({
    type: "snap",
    from: r.id,
    to,
    term: 0,
    snapMeta: snap.meta,
    snapOffset: offset,
    snapData: data,
    snapDone: offset + data.length >= snap.data.length,
  });
}

/** Sends to every follower whatever its progress allows. */
export function bcastAppend(r: Raft): void {
  for (const id of r.prs.progress.keys()) if (id !== r.id) sendAppend(r, id);
}

/** Heartbeats to every follower; `context` ties them to a ReadIndex round. */
export function bcastHeartbeat(r: Raft, context = r.readOnly.lastContext()): void {
  for (const [id, pr] of r.prs.progress) {
    if (id === r.id) continue;
    const m: Message = {
      type: "heartbeat",
      from: r.id,
      to: id,
      term: 0,
      commit: Math.min(pr.match, r.log.committed),
    };
    if (context) m.context = context;
    r.send(m);
  }
}

/** Advances the commit index to what a majority holds, if that entry is of the current term. */
export function maybeCommit(r: Raft): boolean {
  const idx = r.prs.committed();
  if (idx > r.log.lastIndex()) return false;
  const before = r.log.term(r.log.committed) === r.term;
  if (!r.log.maybeCommit(idx, r.term)) return false;
  if (!before) releasePendingReads(r);
  return true;
}

/** The first commit of the term makes the queued ReadIndex requests answerable. */
function releasePendingReads(r: Raft): void {
  const pending = r.pendingReadIndex;
  r.pendingReadIndex = [];
  for (const m of pending) handleReadIndex(r, m);
}

/** Leader side of ReadIndex: remember the commit index, confirm leadership with a heartbeat round. */
export function handleReadIndex(r: Raft, m: Message): void {
  const context = m.context ?? new Uint8Array();
  if (r.prs.voters.length === 1 && r.prs.isVoter(r.id)) {
    respondRead(r, m.from, r.log.committed, context);
    return;
  }
  r.readOnly.add(r.log.committed, m.from, context, r.id);
  bcastHeartbeat(r, context);
}

export function respondRead(r: Raft, to: number, index: number, context: Uint8Array): void {
  if (to === r.id) r.readStates.push({ index, context });
  else r.send({ type: "readIndexResp", from: r.id, to, term: 0, index, context });
}

export function sendTimeoutNow(r: Raft, to: number): void {
  r.send({ type: "timeoutNow", from: r.id, to, term: 0 });
}
