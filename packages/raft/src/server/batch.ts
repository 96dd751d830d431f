// The driver proposes the commands that arrive within one turn of the event loop as one log entry, so that a
// burst of client writes costs one entry, one AppendEntries per follower and one fsync rather than one each.
// Entry data of a batch: count u32 LE | (length u32 LE | command bytes)*.

/** A `normal` entry whose data is not a batch: written by something else, or corrupted. */
export class BatchDecodeError extends Error {
  override name = "BatchDecodeError";
}

export function encodeBatch(commands: Uint8Array[]): Uint8Array {
  let size = 4;
  for (const c of commands) size += 4 + c.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(commands.length, 0);
  let o = 4;
  for (const c of commands) {
    out.writeUInt32LE(c.length, o);
    out.set(c, o + 4);
    o += 4 + c.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function decodeBatch(data: Uint8Array): Uint8Array[] {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 4) throw new BatchDecodeError(`batch of ${b.length} bytes`);
  const n = b.readUInt32LE(0);
  const out: Uint8Array[] = [];
  let o = 4;
  for (let i = 0; i < n; i++) {
    if (o + 4 > b.length) throw new BatchDecodeError(`command ${i} of ${n} runs past the entry`);
    const len = b.readUInt32LE(o);
    if (o + 4 + len > b.length) throw new BatchDecodeError(`command ${i} of ${n} runs past the entry`);
    out.push(data.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return out;
}
