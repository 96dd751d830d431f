// Wing–Gong–Lowe linearizability checking for a key-value history, one key at a time (operations touch one
// key, so the history is linearizable iff every key's sub-history is: linearizability is local).
//
// The search walks the history's call/return events in time order, tries to linearize a pending call at
// the current point, and backtracks at a return whose call it could not place; (set of linearized ops,
// state) pairs already explored are cached, as in Lowe's refinement of Wing & Gong.

export type KvInput =
  | { type: "put"; value: string }
  | { type: "get" }
  | { type: "cas"; old: string | null; value: string };

export type KvOutput = { value: string | null } | { ok: boolean };

export interface HistoryOp {
  key: string;
  input: KvInput;
  /** Undefined when the outcome is unknown (timed out, node crashed): the op may or may not have happened. */
  output?: KvOutput;
  /** Logical time of the call and of the return; returnTime undefined for unknown outcomes. */
  callTime: number;
  returnTime?: number;
  /** For reports. */
  label?: string;
}

export interface LinearizabilityResult {
  ok: boolean;
  /** The first key whose history is not linearizable. */
  key?: string;
  ops?: number;
}

type State = string | null;

/** Applies `op` to `state`; undefined when the recorded output rules it out in that state. */
function step(state: State, op: HistoryOp): { state: State } | undefined {
  const inp = op.input;
  const out = op.output;
  if (inp.type === "put") return { state: inp.value };
  if (inp.type === "get") {
    if (out === undefined) return { state };
    return "value" in out && out.value === state ? { state } : undefined;
  }
  const hit = state === inp.old;
  if (out === undefined) return { state: hit ? inp.value : state };
  if (!("ok" in out)) return undefined;
  if (out.ok !== hit) return undefined;
  return { state: hit ? inp.value : state };
}

interface Node {
  op: number;
  isCall: boolean;
  time: number;
  match: Node | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

function lift(call: Node): void {
  call.prev!.next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match!;
  ret.prev!.next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

function unlift(call: Node): void {
  const ret = call.match!;
  ret.prev!.next = ret;
  if (ret.next) ret.next.prev = ret;
  call.prev!.next = call;
  if (call.next) call.next.prev = call;
}

/** A well-mixed 32-bit value for i (splitmix-style finaliser). */
function hash32(i: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Checks one key's operations, starting from an absent value. */
export function checkKey(ops: HistoryOp[]): boolean {
  const events: Node[] = [];
  ops.forEach((o, i) => {
    const call: Node = {
      op: i,
      isCall: true,
      time: o.callTime,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    const ret: Node = {
      op: i,
      isCall: false,
      time: o.returnTime ?? Number.POSITIVE_INFINITY,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    if (ret.time < call.time) throw new Error(`op ${o.label ?? i} returns before it is called`);
    call.match = ret;
    events.push(call, ret);
  });
  // by time; at equal times a return comes first (the earlier op finished before the later one started)
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? 1 : -1));
  const head: Node = { op: -1, isCall: false, time: 0, match: undefined, prev: undefined, next: undefined };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  // the set of linearized ops, as a 64-bit Zobrist hash (two 32-bit halves) rather than a bitset string
  const zobrist = ops.map((_, i) => [hash32(i * 2 + 1), hash32(i * 2 + 2)] as const);
  let h1 = 0;
  let h2 = 0;
  const cache = new Set<string>();
  const stack: { call: Node; state: State }[] = [];
  let state: State = null;
  let entry = head.next;
  while (head.next) {
    if (!entry) throw new Error("walked past the end of the history");
    if (entry.isCall) {
      const next = step(state, ops[entry.op]!);
      if (next) {
        const [z1, z2] = zobrist[entry.op]!;
        const key = `${h1 ^ z1},${h2 ^ z2}|${next.state ?? "\u0000"}`;
        if (!cache.has(key)) {
          h1 ^= z1;
          h2 ^= z2;
          cache.add(key);
          stack.push({ call: entry, state });
          state = next.state;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      const top = stack.pop();
      if (!top) return false;
      const [z1, z2] = zobrist[top.call.op]!;
      h1 ^= z1;
      h2 ^= z2;
      state = top.state;
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return true;
}

/** Checks a whole history, key by key. */
export function checkLinearizable(history: HistoryOp[]): LinearizabilityResult {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of history) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  for (const [key, ops] of [...byKey].sort(([a], [b]) => a.localeCompare(b)))
    if (!checkKey(ops)) return { ok: false, key, ops: ops.length };
  return { ok: true };
}
