import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";

/** Where the reader stands: the next unread record is at `offset` in segment `segment`. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

/** A record read from the spool and the position just after it (pass it to `commit`). */
export interface SpoolRecord {
  payload: Uint8Array;
  next: SpoolPosition;
}

export interface SpoolOptions {
  /** total size of the segment files; when exceeded the oldest segment is dropped and its unread records counted */
  maxBytes: number;
  /** persist the read position at most this often (and on close); a crash replays at most this much again */
  positionSyncMs?: number;
  /**
   * fdatasync appended records at most this often (and on close); default 5000 ms. A power cut loses at most
   * this much of the newest telemetry (a visible seq gap), and an SD card is not flushed every second.
   */
  fsyncMs?: number;
}

/** Longer records are damage, never telemetry (NATS payloads are at most 1 MiB). */
export const MAX_SPOOL_RECORD_BYTES = 1024 * 1024;

const HEADER_BYTES = 8; // u32 length, u32 crc32 of the payload
const SEGMENT_RE = /^(\d{12})\.seg$/;

/**
 * A bounded, append-only, on-disk FIFO of opaque records (telemetry samples), in numbered segment files.
 * Every sample goes through it, so nothing is lost while the link is down; a torn tail after a crash or
 * power cut is cut off at the first record whose checksum does not match. Delivery is at least once:
 * records between the last persisted position and a crash are read again.
 */
export class Spool {
  /** records dropped because the spool was full, since this spool directory was created */
  dropped = 0;
  /** records that could not be written (ENOSPC, EIO) since this process started; the agent keeps going */
  writeFailures = 0;
  /** records whose checksum failed on read (skipped with the rest of their segment) since this process started */
  corrupted = 0;
  private lastFsyncMs = 0;
  private segments: number[] = [];
  private writeFd = -1;
  private writeSize = 0;
  private totalBytes = 0;
  private position: SpoolPosition;
  private unread = 0;
  private positionDirty = false;
  private lastPositionSyncMs = 0;
  private readonly segmentBytes: number;

  constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.segmentBytes = Math.max(4096, Math.min(2 ** 20, Math.floor(options.maxBytes / 8)));
    this.segments = readdirSync(dir)
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const saved = this.readPositionFile();
    this.dropped = saved.dropped;
    this.position = saved.position;
    if (this.segments.length === 0) this.segments.push(saved.position.segment || 1);
    const first = this.segments[0]!;
    if (this.position.segment < first) this.position = { segment: first, offset: 0 };
    const last = this.segments[this.segments.length - 1]!;
    if (this.position.segment > last) this.position = { segment: last, offset: 0 };
    for (const seg of this.segments) {
      const size = this.repair(seg);
      this.totalBytes += size;
      // a position past a cut-off tail would never see the records appended after it
      if (seg === this.position.segment && this.position.offset > size)
        this.position = { segment: seg, offset: size };
      if (seg >= this.position.segment)
        this.unread += this.countRecords(seg, seg === this.position.segment ? this.position.offset : 0);
    }
    this.openWriteSegment(this.segments[this.segments.length - 1]!);
  }

  /** Unread records (the spool depth). */
  get depth(): number {
    return this.unread;
  }

  get sizeBytes(): number {
    return this.totalBytes;
  }

  /**
   * Appends one record. Never throws for a full disk: the record is counted in `writeFailures`, the partial
   * write is cut back off, and the spool stays readable. Returns whether the record was written.
   */
  append(payload: Uint8Array, nowMs = Date.now()): boolean {
    if (payload.length > MAX_SPOOL_RECORD_BYTES) {
      this.writeFailures++;
      return false;
    }
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    const record = Buffer.concat([header, payload]);
    try {
      if (this.writeSize >= this.segmentBytes)
        this.openWriteSegment(this.segments[this.segments.length - 1]! + 1);
      let off = 0;
      while (off < record.length) off += writeSync(this.writeFd, record, off, record.length - off);
    } catch {
      this.writeFailures++;
      try {
        ftruncateSync(this.writeFd, this.writeSize);
      } catch {
        // the torn tail is cut at the next open (its checksum fails)
      }
      return false;
    }
    if (nowMs - this.lastFsyncMs >= (this.options.fsyncMs ?? 5000)) this.fsync(nowMs);
    this.writeSize += HEADER_BYTES + payload.length;
    this.totalBytes += HEADER_BYTES + payload.length;
    this.unread++;
    while (this.totalBytes > this.options.maxBytes && this.segments.length > 1) this.dropOldest();
    return true;
  }

  /** fdatasync of the segment being written (a failure is counted, not thrown). */
  fsync(nowMs = Date.now()): void {
    this.lastFsyncMs = nowMs;
    try {
      if (this.writeFd >= 0) fdatasyncSync(this.writeFd);
    } catch {
      this.writeFailures++;
    }
  }

  /** Up to `max` unread records in order, without consuming them. */
  peek(max: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let { segment, offset } = this.position;
    while (out.length < max) {
      const record = this.readRecord(segment, offset);
      if (record) {
        offset += HEADER_BYTES + record.length;
        out.push({ payload: record, next: { segment, offset } });
        continue;
      }
      const later = this.segments.find((s) => s > segment);
      if (later === undefined) break;
      segment = later;
      offset = 0;
    }
    return out;
  }

  /** Marks the `count` records before `next` (as returned by `peek`) delivered; removes finished segments. */
  commit(next: SpoolPosition, count: number, nowMs = Date.now()): void {
    this.unread = Math.max(0, this.unread - count);
    this.position = next;
    while (this.segments.length > 1 && this.segments[0]! < next.segment)
      this.removeSegment(this.segments[0]!);
    this.positionDirty = true;
    if (nowMs - this.lastPositionSyncMs >= (this.options.positionSyncMs ?? 5000)) this.syncPosition(nowMs);
  }

  /** Persists the read position now (also done by `close`). */
  syncPosition(nowMs = Date.now()): void {
    if (!this.positionDirty) return;
    const file = join(this.dir, "position.json");
    try {
      const fd = openSync(`${file}.tmp`, "w", 0o600);
      try {
        writeSync(fd, JSON.stringify({ ...this.position, dropped: this.dropped }));
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(`${file}.tmp`, file);
    } catch {
      // a full disk: the old position stays, records since it are delivered again (at least once)
      this.writeFailures++;
      return;
    }
    this.positionDirty = false;
    this.lastPositionSyncMs = nowMs;
  }

  close(): void {
    this.fsync();
    this.syncPosition();
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeFd = -1;
  }

  private dropOldest(): void {
    const seg = this.segments[0]!;
    if (seg >= this.position.segment) {
      const lost = this.countRecords(seg, seg === this.position.segment ? this.position.offset : 0);
      this.dropped += lost;
      this.unread -= lost;
      this.position = { segment: this.segments[1]!, offset: 0 };
      this.positionDirty = true;
    }
    this.removeSegment(seg);
  }

  private removeSegment(seg: number): void {
    const file = this.segmentFile(seg);
    this.totalBytes -= existsSync(file) ? statSync(file).size : 0;
    unlinkSync(file);
    this.segments.shift();
  }

  private openWriteSegment(seg: number): void {
    if (this.writeFd >= 0) closeSync(this.writeFd);
    this.writeFd = openSync(this.segmentFile(seg), "a");
    this.writeSize = fstatSync(this.writeFd).size;
    if (!this.segments.includes(seg)) this.segments.push(seg);
  }

  /** Truncates a torn or corrupt tail; returns the segment's valid size. */
  private repair(seg: number): number {
    const data = this.readSegment(seg);
    let offset = 0;
    while (offset + HEADER_BYTES <= data.length) {
      const length = data.readUInt32LE(offset);
      const end = offset + HEADER_BYTES + length;
      if (
        length > MAX_SPOOL_RECORD_BYTES ||
        end > data.length ||
        crc32(data.subarray(offset + HEADER_BYTES, end)) !== data.readUInt32LE(offset + 4)
      )
        break;
      offset = end;
    }
    if (offset < data.length) {
      const fd = openSync(this.segmentFile(seg), "r+");
      ftruncateSync(fd, offset);
      closeSync(fd);
    }
    return offset;
  }

  private countRecords(seg: number, from: number, to?: number): number {
    const data = this.readSegment(seg);
    const end = to ?? data.length;
    let count = 0;
    for (let offset = from; offset + HEADER_BYTES <= end; count++) {
      const length = data.readUInt32LE(offset);
      if (length > MAX_SPOOL_RECORD_BYTES) break;
      offset += HEADER_BYTES + length;
    }
    return count;
  }

  private readRecord(seg: number, offset: number): Buffer | undefined {
    let fd: number;
    try {
      fd = openSync(this.segmentFile(seg), "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      if (readSync(fd, header, 0, HEADER_BYTES, offset) < HEADER_BYTES) return undefined;
      const length = header.readUInt32LE(0);
      // checked on every read, not only at open: damage after the open (a bad SD card) is skipped, not sent
      if (length > MAX_SPOOL_RECORD_BYTES) {
        this.corrupted++;
        return undefined;
      }
      const payload = Buffer.alloc(length);
      if (readSync(fd, payload, 0, payload.length, offset + HEADER_BYTES) < payload.length) return undefined;
      if (crc32(payload) !== header.readUInt32LE(4)) {
        this.corrupted++;
        return undefined;
      }
      return payload;
    } finally {
      closeSync(fd);
    }
  }

  private readSegment(seg: number): Buffer {
    try {
      return readFileSync(this.segmentFile(seg));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
      throw err;
    }
  }

  private readPositionFile(): { position: SpoolPosition; dropped: number } {
    try {
      const raw = JSON.parse(readFileSync(join(this.dir, "position.json"), "utf8")) as {
        segment: number;
        offset: number;
        dropped?: number;
      };
      return { position: { segment: raw.segment, offset: raw.offset }, dropped: raw.dropped ?? 0 };
    } catch {
      return { position: { segment: 0, offset: 0 }, dropped: 0 };
    }
  }

  private segmentFile(seg: number): string {
    return join(this.dir, `${String(seg).padStart(12, "0")}.seg`);
  }
}
