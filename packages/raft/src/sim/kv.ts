// The replicated key-value state machine the simulation runs on Raft: put, get (ReadIndex, not logged) and
// compare-and-set. Commands carry a unique op id; a command applied twice (a duplicated proposal) has no
// second effect and answers what the first application answered.

export type KvCommand =
  | { op: "put"; id: string; key: string; value: string }
  | { op: "cas"; id: string; key: string; old: string | null; value: string };

export interface KvResult {
  ok: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(dec.decode(data)) as KvCommand;
}

export class KvStore {
  private data = new Map<string, string>();
  private results = new Map<string, KvResult>();

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  apply(c: KvCommand): KvResult {
    const seen = this.results.get(c.id);
    if (seen) return seen;
    let r: KvResult;
    if (c.op === "put") {
      this.data.set(c.key, c.value);
      r = { ok: true };
    } else {
      const cur = this.get(c.key);
      r = { ok: cur === c.old };
      if (r.ok) this.data.set(c.key, c.value);
    }
    this.results.set(c.id, r);
    return r;
  }

  serialize(): Uint8Array {
    return enc.encode(JSON.stringify({ data: [...this.data], results: [...this.results] }));
  }

  static restore(bytes: Uint8Array): KvStore {
    const kv = new KvStore();
    if (bytes.length === 0) return kv;
    const o = JSON.parse(dec.decode(bytes)) as { data: [string, string][]; results: [string, KvResult][] };
    kv.data = new Map(o.data);
    kv.results = new Map(o.results);
    return kv;
  }
}
