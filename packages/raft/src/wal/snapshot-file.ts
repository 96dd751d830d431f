// Snapshot files: snap/<index>-<term>.snap, written atomically.
//
// Layout: "QSNP" | version u8 | meta length u32 LE | meta (JSON: index, term, conf) | data | CRC-32 of all before.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { Snapshot, SnapshotMeta } from "../entry.js";
import { SnapshotCorruptionError } from "./errors.js";
import { hex16, writeFileAtomic } from "./files.js";

const MAGIC = Buffer.from("QSNP");
const VERSION = 1;
const NAME_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export function snapshotFileName(index: number, term: number): string {
  return `${hex16(index)}-${hex16(term)}.snap`;
}

/** Writes the snapshot to `dir` atomically (temp file, fsync, rename, fsync dir). */
export function writeSnapshotFile(dir: string, snapshot: Snapshot): string {
  const meta = Buffer.from(JSON.stringify(snapshot.meta));
  const head = Buffer.alloc(9);
  MAGIC.copy(head, 0);
  head[4] = VERSION;
  head.writeUInt32LE(meta.length, 5);
  const data = snapshot.data;
  let crc = crc32(head);
  crc = crc32(meta, crc);
  crc = crc32(data, crc);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(crc, 0);
  const path = join(dir, snapshotFileName(snapshot.meta.index, snapshot.meta.term));
  writeFileAtomic(dir, path, [head, meta, data, tail]);
  return path;
}

/** Reads and verifies one snapshot file. */
export function readSnapshotFile(path: string): Snapshot {
  const buf = readFileSync(path);
  if (buf.length < 13 || !buf.subarray(0, 4).equals(MAGIC))
    throw new SnapshotCorruptionError(path, "not a snapshot file (bad magic or too short)");
  if (buf[4] !== VERSION) throw new SnapshotCorruptionError(path, `unknown version ${buf[4]}`);
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4))
    throw new SnapshotCorruptionError(path, "checksum mismatch");
  const metaLen = buf.readUInt32LE(5);
  if (9 + metaLen > buf.length - 4) throw new SnapshotCorruptionError(path, "metadata extends past the end");
  let meta: SnapshotMeta;
  try {
    meta = JSON.parse(buf.subarray(9, 9 + metaLen).toString("utf8")) as SnapshotMeta;
  } catch (err) {
    throw new SnapshotCorruptionError(path, `undecodable metadata: ${(err as Error).message}`);
  }
  return { meta, data: new Uint8Array(buf.subarray(9 + metaLen, buf.length - 4)) };
}

/** The snapshot files in `dir` as (index, term, name), oldest first. Removes leftover temp files. */
export function listSnapshotFiles(dir: string): { index: number; term: number; name: string }[] {
  if (!existsSync(dir)) return [];
  const out: { index: number; term: number; name: string }[] = [];
  for (const name of readdirSync(dir)) {
    if (name.endsWith(".tmp")) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    const m = NAME_RE.exec(name);
    if (m) out.push({ index: Number.parseInt(m[1]!, 16), term: Number.parseInt(m[2]!, 16), name });
  }
  return out.sort((a, b) => a.index - b.index || a.term - b.term);
}
