// How followers and candidates handle messages: appends, heartbeats, snapshot chunks, vote tallies, and
// forwarding of proposals, reads and transfer requests to the leader.
import { ProposalDroppedError } from "./errors.js";
import type { Message } from "./message.js";
import type { Raft } from "./raft.js";

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case "prop":
      if (r.lead === 0) throw new ProposalDroppedError("no-leader", r.id, r.term);
      r.send({ ...m, to: r.lead });
      return;
    case "app":
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppend(r, m);
      return;
    case "heartbeat":
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return;
    case "snap":
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshotChunk(r, m);
      return;
    case "transferLeader":
    case "readIndex":
      if (r.lead !== 0) r.send({ ...m, to: r.lead });
      return;
    case "timeoutNow":
      r.hup(true);
      return;
    case "readIndexResp":
      r.readStates.push({ index: m.index ?? 0, context: m.context ?? new Uint8Array() });
      return;
    default:
      return;
  }
}

export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case "prop":
      throw new ProposalDroppedError("no-leader", r.id, r.term);
    case "app":
    case "heartbeat":
    case "snap":
      r.becomeFollower(m.term, m.from);
      stepFollower(r, m);
      return;
    case "preVoteResp":
    case "voteResp": {
      if ((m.type === "preVoteResp") !== (r.role === "preCandidate")) return;
      r.prs.recordVote(m.from, !m.reject);
      const { result } = r.prs.tallyVotes();
      if (result === "won") {
        if (r.role === "preCandidate") r.campaign("vote", false);
        else r.becomeLeader();
      } else if (result === "lost") {
        r.becomeFollower(r.term, 0);
      }
      return;
    }
    default:
      return;
  }
}

function handleAppend(r: Raft, m: Message): void {
  const index = m.index ?? 0;
  if (index < r.log.committed) {
    r.send({ type: "appResp", from: r.id, to: m.from, term: 0, index: r.log.committed });
    return;
  }
  const lastNew = r.log.maybeAppend(index, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
  if (lastNew !== undefined) {
    r.send({ type: "appResp", from: r.id, to: m.from, term: 0, index: lastNew });
    return;
  }
  const hint = r.log.findConflictByTerm(Math.min(index, r.log.lastIndex()), m.logTerm ?? 0);
  r.send({
    type: "appResp",
    from: r.id,
    to: m.from,
    term: 0,
    index,
    reject: true,
    rejectHint: hint.index,
    logTerm: hint.term,
  });
}

function handleHeartbeat(r: Raft, m: Message): void {
  r.log.commitTo(Math.min(m.commit ?? 0, r.log.lastIndex()));
  const resp: Message = { type: "heartbeatResp", from: r.id, to: m.from, term: 0 };
  if (m.context && m.context.length > 0) resp.context = m.context;
  r.send(resp);
}

function handleSnapshotChunk(r: Raft, m: Message): void {
  const meta = m.snapMeta;
  if (!meta) throw new Error(`snap message from ${m.from} without snapMeta`);
  if (meta.index <= r.log.committed) {
    r.incomingSnapshot = undefined;
    r.send({ type: "appResp", from: r.id, to: m.from, term: 0, index: r.log.committed });
    return;
  }
  const offset = m.snapOffset ?? 0;
  if (offset === 0) r.incomingSnapshot = { meta, chunks: [], bytes: 0 };
  const inc = r.incomingSnapshot;
  const same = inc !== undefined && inc.meta.index === meta.index && inc.meta.term === meta.term;
  if (!same || offset !== inc.bytes) {
    r.send({
      type: "snapResp",
      from: r.id,
      to: m.from,
      term: 0,
      index: meta.index,
      snapOffset: same ? inc.bytes : 0,
      reject: true,
    });
    return;
  }
  const data = m.snapData ?? new Uint8Array();
  inc.chunks.push(data);
  inc.bytes += data.length;
  if (!m.snapDone) {
    r.send({ type: "snapResp", from: r.id, to: m.from, term: 0, index: meta.index, snapOffset: inc.bytes });
    return;
  }
  r.incomingSnapshot = undefined;
  const whole = new Uint8Array(inc.bytes);
  let at = 0;
  for (const c of inc.chunks) {
    whole.set(c, at);
    at += c.length;
  }
  const index = r.restore({ meta, data: whole }) ? r.log.lastIndex() : r.log.committed;
  r.send({ type: "appResp", from: r.id, to: m.from, term: 0, index });
}
