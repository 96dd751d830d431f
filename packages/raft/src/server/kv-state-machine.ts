// The replicated key-value state machine of the raft-kv harness: put and compare-and-set, applied in log order.
//
// A command (the data of a `normal` entry): op u8 | proposal id (16 bytes) | key length u32 | key | op fields:
//   put: value                      cas: flags u8 (1 = expect absent) | expected length u32 | expected | value
// The proposal id lets the proposing node match the applied entry to its waiting client.

export type KvCommand =
  | { op: "put"; key: string; value: Uint8Array }
  | { op: "cas"; key: string; expected: Uint8Array | undefined; value: Uint8Array };

export interface KvResult {
  /** For cas: whether the value was replaced. Always true for put. */
  succeeded: boolean;
  /** Whether the key existed before and its value then. */
  found: boolean;
  previous: Uint8Array | undefined;
}

/** An entry that does not hold a command: a corrupted log or a foreign writer. */
export class KvCommandDecodeError extends Error {
  override name = "KvCommandDecodeError";
}

const OP_PUT = 1;
const OP_CAS = 2;
export const PROPOSAL_ID_BYTES = 16;
const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(id: Uint8Array, cmd: KvCommand): Uint8Array {
  const key = enc.encode(cmd.key);
  const extra = cmd.op === "cas" ? 5 + (cmd.expected?.length ?? 0) : 0;
  const out = Buffer.allocUnsafe(1 + PROPOSAL_ID_BYTES + 4 + key.length + extra + cmd.value.length);
  let o = 0;
  out[o++] = cmd.op === "put" ? OP_PUT : OP_CAS;
  out.set(id.subarray(0, PROPOSAL_ID_BYTES), o);
  o += PROPOSAL_ID_BYTES;
  out.writeUInt32LE(key.length, o);
  o += 4;
  out.set(key, o);
  o += key.length;
  if (cmd.op === "cas") {
    out[o++] = cmd.expected === undefined ? 1 : 0;
    const exp = cmd.expected ?? new Uint8Array();
    out.writeUInt32LE(exp.length, o);
    o += 4;
    out.set(exp, o);
    o += exp.length;
  }
  out.set(cmd.value, o);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function decodeCommand(data: Uint8Array): { id: string; cmd: KvCommand } {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 1 + PROPOSAL_ID_BYTES + 4) throw new KvCommandDecodeError(`command of ${b.length} bytes`);
  const op = b[0];
  let o = 1;
  const id = b.toString("hex", o, o + PROPOSAL_ID_BYTES);
  o += PROPOSAL_ID_BYTES;
  const keyLen = b.readUInt32LE(o);
  o += 4;
  if (o + keyLen > b.length) throw new KvCommandDecodeError("key runs past the command");
  const key = dec.decode(b.subarray(o, o + keyLen));
  o += keyLen;
  if (op === OP_PUT) return { id, cmd: { op: "put", key, value: new Uint8Array(b.subarray(o)) } };
  if (op !== OP_CAS) throw new KvCommandDecodeError(`unknown op ${op}`);
  if (o + 5 > b.length) throw new KvCommandDecodeError("cas fields run past the command");
  const absent = b[o] === 1;
  const expLen = b.readUInt32LE(o + 1);
  o += 5;
  if (o + expLen > b.length) throw new KvCommandDecodeError("expected value runs past the command");
  const expected = absent ? undefined : new Uint8Array(b.subarray(o, o + expLen));
  o += expLen;
  return { id, cmd: { op: "cas", key, expected, value: new Uint8Array(b.subarray(o)) } };
}

export class KvStateMachine {
  private readonly data = new Map<string, Uint8Array>();

  get(key: string): Uint8Array | undefined {
    return this.data.get(key);
  }

  get size(): number {
    return this.data.size;
  }

  apply(cmd: KvCommand): KvResult {
    const previous = this.data.get(cmd.key);
    const found = previous !== undefined;
    if (cmd.op === "cas") {
      const matches =
        cmd.expected === undefined
          ? !found
          : found && Buffer.from(previous).equals(Buffer.from(cmd.expected));
      if (!matches) return { succeeded: false, found, previous };
    }
    this.data.set(cmd.key, cmd.value);
    return { succeeded: true, found, previous };
  }

  /** count u32 | (key length u32 | key | value length u32 | value)* */
  snapshot(): Uint8Array {
    const parts: Buffer[] = [];
    const head = Buffer.alloc(4);
    head.writeUInt32LE(this.data.size, 0);
    parts.push(head);
    for (const [k, v] of this.data) {
      const key = Buffer.from(k);
      const h = Buffer.alloc(4);
      h.writeUInt32LE(key.length, 0);
      const vh = Buffer.alloc(4);
      vh.writeUInt32LE(v.length, 0);
      parts.push(h, key, vh, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
    const out = Buffer.concat(parts);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  restore(snapshot: Uint8Array): void {
    this.data.clear();
    if (snapshot.length === 0) return;
    const b = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
    const n = b.readUInt32LE(0);
    let o = 4;
    for (let i = 0; i < n; i++) {
      const kl = b.readUInt32LE(o);
      const key = b.toString("utf8", o + 4, o + 4 + kl);
      o += 4 + kl;
      const vl = b.readUInt32LE(o);
      this.data.set(key, new Uint8Array(b.subarray(o + 4, o + 4 + vl)));
      o += 4 + vl;
    }
  }
}
