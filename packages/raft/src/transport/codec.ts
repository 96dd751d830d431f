// Message ↔ protobuf (qonnect.raft.v1.Message). One to one; absent optional fields become zero values and back.
import { raftV1 } from "@qonnect/proto";
import type { Entry, EntryType, SnapshotMeta } from "../entry.js";
import type { Message, MessageType } from "../message.js";

/** A protobuf message that cannot be a Raft message (unknown type, missing sender). */
export class MessageDecodeError extends Error {
  override name = "MessageDecodeError";
}

const P = raftV1.MessageType;
const TYPES: [MessageType, raftV1.MessageType][] = [
  ["app", P.MESSAGE_TYPE_APP],
  ["appResp", P.MESSAGE_TYPE_APP_RESP],
  ["heartbeat", P.MESSAGE_TYPE_HEARTBEAT],
  ["heartbeatResp", P.MESSAGE_TYPE_HEARTBEAT_RESP],
  ["preVote", P.MESSAGE_TYPE_PRE_VOTE],
  ["preVoteResp", P.MESSAGE_TYPE_PRE_VOTE_RESP],
  ["vote", P.MESSAGE_TYPE_VOTE],
  ["voteResp", P.MESSAGE_TYPE_VOTE_RESP],
  ["snap", P.MESSAGE_TYPE_SNAP],
  ["snapResp", P.MESSAGE_TYPE_SNAP_RESP],
  ["prop", P.MESSAGE_TYPE_PROP],
  ["readIndex", P.MESSAGE_TYPE_READ_INDEX],
  ["readIndexResp", P.MESSAGE_TYPE_READ_INDEX_RESP],
  ["transferLeader", P.MESSAGE_TYPE_TRANSFER_LEADER],
  ["timeoutNow", P.MESSAGE_TYPE_TIMEOUT_NOW],
];
const TO_PROTO = new Map(TYPES);
const FROM_PROTO = new Map(TYPES.map(([a, b]) => [b, a]));

const E = raftV1.EntryType;
const ENTRY_TO_PROTO: Record<EntryType, raftV1.EntryType> = {
  normal: E.ENTRY_TYPE_NORMAL,
  noop: E.ENTRY_TYPE_NOOP,
  conf: E.ENTRY_TYPE_CONF,
};
const ENTRY_FROM_PROTO = new Map(Object.entries(ENTRY_TO_PROTO).map(([a, b]) => [b, a as EntryType]));

const EMPTY = new Uint8Array();

export function entryToProto(e: Entry): raftV1.Entry {
  return { index: e.index, term: e.term, type: ENTRY_TO_PROTO[e.type], data: e.data };
}

/** gRPC hands out Buffers; the core's contract is plain Uint8Array (no copy). */
function plain(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

export function entryFromProto(e: raftV1.Entry): Entry {
  const type = ENTRY_FROM_PROTO.get(e.type);
  if (!type) throw new MessageDecodeError(`entry ${e.index} has unknown type ${e.type}`);
  return { index: e.index, term: e.term, type, data: plain(e.data) };
}

function metaToProto(m: SnapshotMeta): raftV1.SnapshotMeta {
  return { index: m.index, term: m.term, conf: { voters: m.conf.voters, learners: m.conf.learners } };
}

function metaFromProto(m: raftV1.SnapshotMeta): SnapshotMeta {
  return {
    index: m.index,
    term: m.term,
    conf: { voters: m.conf?.voters ?? [], learners: m.conf?.learners ?? [] },
  };
}

export function messageToProto(m: Message): raftV1.Message {
  const type = TO_PROTO.get(m.type);
  if (type === undefined) throw new MessageDecodeError(`unknown message type ${m.type}`);
  return {
    type,
    from: m.from,
    to: m.to,
    term: m.term,
    logTerm: m.logTerm ?? 0,
    index: m.index ?? 0,
    entries: m.entries ? m.entries.map(entryToProto) : [],
    commit: m.commit ?? 0,
    reject: m.reject ?? false,
    rejectHint: m.rejectHint ?? 0,
    context: m.context ?? EMPTY,
    transfer: m.transfer ?? false,
    snapMeta: m.snapMeta ? metaToProto(m.snapMeta) : undefined,
    snapOffset: m.snapOffset ?? 0,
    snapData: m.snapData ?? EMPTY,
    snapDone: m.snapDone ?? false,
  };
}

/**
 * Bounds on what a peer may claim. A term of 2^40 is 35 years of one election per millisecond; an index of
 * 2^48 is 9 years of a million entries a second. Anything beyond is a forgery or damage, never a real cluster.
 */
export const MAX_TERM = 2 ** 40;
export const MAX_INDEX = 2 ** 48;
const MAX_MEMBERS = 1000;
const MAX_CONTEXT_BYTES = 64 * 1024;

function bounded(what: string, v: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > max)
    throw new MessageDecodeError(`${what} ${v} is outside 0..${max}`);
}

/** Checks a decoded message against the bounds and its own consistency; throws MessageDecodeError. */
export function checkMessage(m: Message): void {
  bounded("term", m.term, MAX_TERM);
  bounded("log term", m.logTerm ?? 0, MAX_TERM);
  bounded("index", m.index ?? 0, MAX_INDEX);
  bounded("commit", m.commit ?? 0, MAX_INDEX);
  bounded("reject hint", m.rejectHint ?? 0, MAX_INDEX);
  bounded("snapshot offset", m.snapOffset ?? 0, MAX_INDEX);
  bounded("from", m.from, MAX_INDEX);
  bounded("to", m.to, MAX_INDEX);
  if ((m.context?.length ?? 0) > MAX_CONTEXT_BYTES) throw new MessageDecodeError("context too large");
  if (m.entries) {
    let expect = (m.index ?? 0) + 1;
    for (const e of m.entries) {
      bounded("entry index", e.index, MAX_INDEX);
      bounded("entry term", e.term, MAX_TERM);
      if (m.type === "app" && e.index !== expect)
        throw new MessageDecodeError(`entry ${e.index} where ${expect} was due: entries must be contiguous`);
      if (m.type === "app" && e.term > m.term)
        throw new MessageDecodeError(`entry ${e.index} of term ${e.term} in a message of term ${m.term}`);
      expect = e.index + 1;
    }
  }
  if (m.type === "snap") {
    const meta = m.snapMeta;
    if (!meta) throw new MessageDecodeError("snap message without snapshot metadata");
    bounded("snapshot index", meta.index, MAX_INDEX);
    bounded("snapshot term", meta.term, MAX_TERM);
    if (meta.term > m.term)
      throw new MessageDecodeError(`snapshot of term ${meta.term} sent in term ${m.term}`);
  }
  if (m.snapMeta) {
    const { voters, learners } = m.snapMeta.conf;
    if (voters.length + learners.length > MAX_MEMBERS) throw new MessageDecodeError("too many members");
    for (const id of [...voters, ...learners])
      if (!Number.isSafeInteger(id) || id < 1) throw new MessageDecodeError(`member id ${id}`);
  }
}

/**
 * Decodes one message; zero-valued optional fields are left out, as the core leaves them out. Throws
 * MessageDecodeError for anything that cannot be a Raft message or breaks the bounds of checkMessage.
 */
export function messageFromProto(p: raftV1.Message): Message {
  const m = decodeUnchecked(p);
  checkMessage(m);
  return m;
}

function decodeUnchecked(p: raftV1.Message): Message {
  const type = FROM_PROTO.get(p.type);
  if (!type) throw new MessageDecodeError(`unknown message type ${p.type}`);
  if (!(p.from >= 1) || !(p.to >= 1))
    throw new MessageDecodeError(`message ${type} without sender or receiver`);
  const m: Message = { type, from: p.from, to: p.to, term: p.term };
  if (p.logTerm) m.logTerm = p.logTerm;
  if (p.index) m.index = p.index;
  if (p.entries?.length > 0) m.entries = p.entries.map(entryFromProto);
  if (p.commit) m.commit = p.commit;
  if (p.reject) m.reject = true;
  if (p.rejectHint) m.rejectHint = p.rejectHint;
  if (p.context?.length > 0) m.context = plain(p.context);
  if (p.transfer) m.transfer = true;
  if (p.snapMeta) m.snapMeta = metaFromProto(p.snapMeta);
  if (p.snapOffset) m.snapOffset = p.snapOffset;
  if (p.snapData?.length > 0) m.snapData = plain(p.snapData);
  if (p.snapDone) m.snapDone = true;
  return m;
}

/** Approximate encoded size, for keeping batches under the message size limit. */
export function messageSizeBytes(m: Message): number {
  let n = 64 + (m.context?.length ?? 0) + (m.snapData?.length ?? 0);
  if (m.entries) for (const e of m.entries) n += 24 + e.data.length;
  return n;
}
