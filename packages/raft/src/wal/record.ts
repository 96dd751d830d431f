// Framing and encoding of write-ahead log records.
//
// Frame: [payload length u32 LE][CRC-32 (IEEE, zlib) of the payload u32 LE][payload]. The payload starts with a
// one-byte record kind. Numbers (indexes, terms, ids) are unsigned 64-bit little endian, limited to 2^53.
//
// CRCs are chained across a segment's records (as etcd's WAL does): a record's CRC is computed with the previous
// record's stored CRC as the initial value, and the segment header carries a random 32-bit nonce, so the chain
// depends on something no client can know. A client-chosen value that contains a well-formed frame therefore
// never validates as a record of its own, and cannot turn a torn tail into "corruption in the middle". Segments
// written before chaining (a 17-byte header without a nonce) are still read, unchained.
import { crc32 } from "node:zlib";
import type { Entry, EntryType, HardState } from "../entry.js";

export const FRAME_HEADER_BYTES = 8;
/** Larger lengths are treated as damage, never as a record. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export const RecordKind = {
  /** One log entry. An entry at an index already held replaces it and everything after it. */
  Entry: 1,
  HardState: 2,
  /** The log now starts after a snapshot: `reset` drops every entry, `compact` only those it covers. */
  Snapshot: 3,
  /** First record of every segment: its sequence number and the index of the next entry when it was cut. */
  Segment: 4,
} as const;

export type WalRecord =
  | { kind: typeof RecordKind.Entry; entry: Entry }
  | { kind: typeof RecordKind.HardState; hardState: HardState }
  | { kind: typeof RecordKind.Snapshot; reset: boolean; index: number; term: number }
  | { kind: typeof RecordKind.Segment; seq: number; firstIndex: number; nonce?: number };

const ENTRY_TYPES: EntryType[] = ["normal", "noop", "conf"];

function putU64(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value % 0x1_0000_0000, offset);
  buf.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4);
}

function getU64(buf: Buffer, offset: number): number {
  const hi = buf.readUInt32LE(offset + 4);
  if (hi > 0x1f_ffff) throw new RangeError("64-bit value beyond 2^53");
  return hi * 0x1_0000_0000 + buf.readUInt32LE(offset);
}

function frame(payload: Buffer, seed: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload, seed), 4);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** The CRC stored in the frame at `offset`: the seed of the next record's CRC in a chained segment. */
export function frameCrc(buf: Buffer, offset = 0): number {
  return buf.readUInt32LE(offset + 4);
}

/** Encodes records one after another, each CRC chained from the one before; `seed` is the previous CRC. */
export function encodeChain(records: WalRecord[], seed: number): { buf: Buffer; crc: number } {
  const bufs: Buffer[] = [];
  let crc = seed;
  for (const r of records) {
    const b = encodeRecord(r, crc);
    crc = frameCrc(b);
    bufs.push(b);
  }
  return { buf: bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs), crc };
}

/** Encodes one record with its frame; `seed` is the previous record's CRC (0 for a segment header). */
export function encodeRecord(record: WalRecord, seed = 0): Buffer {
  switch (record.kind) {
    case RecordKind.Entry: {
      const { entry } = record;
      const p = Buffer.allocUnsafe(18 + entry.data.length);
      p[0] = RecordKind.Entry;
      putU64(p, 1, entry.index);
      putU64(p, 9, entry.term);
      p[17] = ENTRY_TYPES.indexOf(entry.type);
      p.set(entry.data, 18);
      return frame(p, seed);
    }
    case RecordKind.HardState: {
      const p = Buffer.allocUnsafe(25);
      p[0] = RecordKind.HardState;
      putU64(p, 1, record.hardState.term);
      putU64(p, 9, record.hardState.vote);
      putU64(p, 17, record.hardState.commit);
      return frame(p, seed);
    }
    case RecordKind.Snapshot: {
      const p = Buffer.allocUnsafe(18);
      p[0] = RecordKind.Snapshot;
      p[1] = record.reset ? 1 : 0;
      putU64(p, 2, record.index);
      putU64(p, 10, record.term);
      return frame(p, seed);
    }
    case RecordKind.Segment: {
      const p = Buffer.allocUnsafe(record.nonce === undefined ? 17 : 21);
      p[0] = RecordKind.Segment;
      putU64(p, 1, record.seq);
      putU64(p, 9, record.firstIndex);
      if (record.nonce !== undefined) p.writeUInt32LE(record.nonce >>> 0, 17);
      return frame(p, seed);
    }
  }
}

/** Decodes a payload whose checksum already matched. Throws on anything malformed. */
export function decodePayload(p: Buffer): WalRecord {
  const need = (n: number) => {
    if (p.length < n) throw new RangeError(`record of kind ${p[0]} is ${p.length} bytes, expected ${n}`);
  };
  switch (p[0]) {
    case RecordKind.Entry: {
      need(18);
      const type = ENTRY_TYPES[p[17]!];
      if (!type) throw new RangeError(`unknown entry type ${p[17]}`);
      // copy: the read buffer of a whole segment must not stay alive through one small entry
      const data = new Uint8Array(p.subarray(18));
      return { kind: RecordKind.Entry, entry: { index: getU64(p, 1), term: getU64(p, 9), type, data } };
    }
    case RecordKind.HardState:
      need(25);
      return {
        kind: RecordKind.HardState,
        hardState: { term: getU64(p, 1), vote: getU64(p, 9), commit: getU64(p, 17) },
      };
    case RecordKind.Snapshot:
      need(18);
      return { kind: RecordKind.Snapshot, reset: p[1] === 1, index: getU64(p, 2), term: getU64(p, 10) };
    case RecordKind.Segment:
      need(17);
      return {
        kind: RecordKind.Segment,
        seq: getU64(p, 1),
        firstIndex: getU64(p, 9),
        ...(p.length >= 21 ? { nonce: p.readUInt32LE(17) } : {}),
      };
    default:
      throw new RangeError(`unknown record kind ${p[0]}`);
  }
}

export type FrameResult =
  | { ok: true; record: WalRecord; next: number; crc: number }
  | { ok: false; reason: string };

/** Reads the frame at `offset` of `buf` (which ends at the file's end), its CRC chained from `seed`. */
export function readFrame(buf: Buffer, offset: number, seed = 0): FrameResult {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { ok: false, reason: "partial record header" };
  const len = buf.readUInt32LE(offset);
  if (len === 0 || len > MAX_RECORD_BYTES) return { ok: false, reason: `invalid record length ${len}` };
  const end = offset + FRAME_HEADER_BYTES + len;
  if (end > buf.length)
    return { ok: false, reason: `record of ${len} bytes extends past the end of the file` };
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, end);
  const stored = buf.readUInt32LE(offset + 4);
  if (crc32(payload, seed) !== stored) return { ok: false, reason: "checksum mismatch" };
  try {
    return { ok: true, record: decodePayload(payload), next: end, crc: stored };
  } catch (err) {
    return { ok: false, reason: `undecodable record: ${(err as Error).message}` };
  }
}

/**
 * True when some valid record starts anywhere after `offset`: damage before it is not a torn tail. In a chained
 * segment a candidate must chain from one of `seeds` (the CRC of the last good record, and the CRC stored in
 * the damaged record's header when it has one: a record after a damaged one chains from that stored value).
 */
export function validRecordAfter(buf: Buffer, offset: number, seeds: number[] = [0]): boolean {
  for (let p = offset + 1; p + FRAME_HEADER_BYTES < buf.length; p++) {
    const len = buf.readUInt32LE(p);
    if (len === 0 || len > buf.length - p - FRAME_HEADER_BYTES) continue;
    const kind = buf[p + FRAME_HEADER_BYTES]!;
    if (kind < RecordKind.Entry || kind > RecordKind.Segment) continue;
    for (const seed of seeds) if (readFrame(buf, p, seed).ok) return true;
  }
  return false;
}
