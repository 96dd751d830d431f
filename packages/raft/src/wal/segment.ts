// Segment files: wal/<seq>-<firstIndex>.wal, each a sequence of framed records starting with a Segment record.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WalCorruptionError } from "./errors.js";
import { hex16 } from "./files.js";
import {
  FRAME_HEADER_BYTES,
  frameCrc,
  RecordKind,
  readFrame,
  validRecordAfter,
  type WalRecord,
} from "./record.js";

const NAME_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export interface SegmentName {
  seq: number;
  /** Index of the next entry when the segment was cut: every live entry in earlier segments is below it. */
  firstIndex: number;
  name: string;
}

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

/** The segment files in `dir`, in sequence order. */
export function listSegments(dir: string): SegmentName[] {
  if (!existsSync(dir)) return [];
  const out: SegmentName[] = [];
  for (const name of readdirSync(dir)) {
    const m = NAME_RE.exec(name);
    if (m) out.push({ seq: Number.parseInt(m[1]!, 16), firstIndex: Number.parseInt(m[2]!, 16), name });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export interface SegmentRead {
  records: WalRecord[];
  /** Bytes of valid records; the file is longer when its tail was torn. */
  validBytes: number;
  /** The CRC of the last valid record (the seed of the next one) and whether the segment chains its CRCs. */
  lastCrc: number;
  chained: boolean;
  /** Set when the last segment ended in a torn (partially written, never synced) record. */
  torn?: { offset: number; reason: string };
}

/**
 * Reads every record of one segment. Damage is a torn tail only in the last segment and only when no valid
 * record follows it; anything else throws WalCorruptionError naming the file and byte offset.
 */
export function readSegment(dir: string, seg: SegmentName, isLast: boolean): SegmentRead {
  const path = join(dir, seg.name);
  const buf = readFileSync(path);
  const records: WalRecord[] = [];
  let off = 0;
  let chained = false;
  let seed = 0;
  while (off < buf.length) {
    const r = readFrame(buf, off, chained ? seed : 0);
    if (!r.ok) {
      const seeds = chained
        ? [seed, ...(buf.length - off >= FRAME_HEADER_BYTES ? [frameCrc(buf, off)] : [])]
        : [0];
      if (isLast && !validRecordAfter(buf, off, seeds))
        return { records, validBytes: off, torn: { offset: off, reason: r.reason }, lastCrc: seed, chained };
      throw new WalCorruptionError(path, off, r.reason);
    }
    if (off === 0) {
      if (r.record.kind !== RecordKind.Segment || r.record.seq !== seg.seq)
        throw new WalCorruptionError(path, 0, "the first record is not this segment's header");
      chained = r.record.nonce !== undefined;
    }
    seed = r.crc;
    records.push(r.record);
    off = r.next;
  }
  if (records.length === 0 && !isLast)
    throw new WalCorruptionError(path, 0, "empty segment before the last one");
  return { records, validBytes: off, lastCrc: seed, chained };
}
