// The messages Raft nodes exchange. Plain, flat, serialisable objects: the gRPC transport maps each field to a
// protobuf field one to one (numbers → uint64/uint32, Uint8Array → bytes, booleans → bool, entries → repeated
// Entry, snapMeta → an optional SnapshotMeta message). Absent optional fields mean their zero value.
import type { Entry, SnapshotMeta } from "./entry.js";

/**
 * Message types, as on the wire:
 * - `app` / `appResp`: AppendEntries (`index`/`logTerm` locate the entry before `entries`) and its answer
 *   (`index` = last index the follower now holds; on `reject`, `rejectHint` = a lower index to retry from and
 *   `logTerm` = the follower's term at `rejectHint`).
 * - `heartbeat` / `heartbeatResp`: leader liveness, carries `commit` and the ReadIndex `context`.
 * - `preVote` / `preVoteResp`, `vote` / `voteResp`: elections. `term` is the term campaigned for; `index` /
 *   `logTerm` the candidate's last entry; `transfer` marks a campaign started by leadership transfer.
 * - `snap` / `snapResp`: one chunk of InstallSnapshot (`snapMeta`, `snapOffset`, `snapData`, `snapDone`) and its
 *   answer (`snapOffset` = the next offset the follower expects; `index` = `snapMeta.index`).
 * - `prop`: proposals forwarded from a follower to the leader (`entries` with index/term 0).
 * - `readIndex` / `readIndexResp`: ReadIndex requests forwarded to the leader and the answer (`index`).
 * - `transferLeader`: asks the leader to hand leadership over to node `index` (the transferee).
 * - `timeoutNow`: tells the transferee to campaign at once.
 */
export type MessageType =
  | "app"
  | "appResp"
  | "heartbeat"
  | "heartbeatResp"
  | "preVote"
  | "preVoteResp"
  | "vote"
  | "voteResp"
  | "snap"
  | "snapResp"
  | "prop"
  | "readIndex"
  | "readIndexResp"
  | "transferLeader"
  | "timeoutNow";

export interface Message {
  type: MessageType;
  /** Sender and receiver node ids (≥ 1). */
  from: number;
  to: number;
  /** Sender's term; 0 only for `prop`, `readIndex` and `transferLeader`, which are not term-checked. */
  term: number;
  /** See MessageType for the meaning per type. */
  logTerm?: number;
  index?: number;
  entries?: Entry[];
  /** Leader's commit index (`app`, `heartbeat`). */
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  /** Opaque ReadIndex request id, echoed back in `heartbeatResp` and `readIndexResp`. */
  context?: Uint8Array;
  /** Vote requested by leadership transfer: voters ignore their leader lease for it. */
  transfer?: boolean;
  /** InstallSnapshot chunk: the snapshot's metadata (every chunk), byte offset of this chunk, data, last chunk. */
  snapMeta?: SnapshotMeta;
  snapOffset?: number;
  snapData?: Uint8Array;
  snapDone?: boolean;
}

/** Messages that answer a request; everything else is a request. */
export function isResponse(type: MessageType): boolean {
  return type.endsWith("Resp");
}

/** One line per message, for logs and the golden test output. */
export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  if (m.logTerm) s += ` logTerm=${m.logTerm}`;
  if (m.index) s += ` index=${m.index}`;
  if (m.commit) s += ` commit=${m.commit}`;
  if (m.reject) s += ` reject hint=${m.rejectHint ?? 0}`;
  if (m.transfer) s += " transfer";
  if (m.context && m.context.length > 0) s += ` ctx=${new TextDecoder().decode(m.context)}`;
  if (m.snapMeta) s += ` snap=${m.snapMeta.index}@${m.snapMeta.term}`;
  if (m.type === "snap" || m.type === "snapResp") s += ` offset=${m.snapOffset ?? 0}`;
  if (m.snapDone) s += " done";
  if (m.entries && m.entries.length > 0)
    s += ` entries=[${m.entries.map((e) => `${e.term}/${e.index}${e.type === "normal" ? "" : `:${e.type}`}`).join(" ")}]`;
  return s;
}
