// A concurrent put/get/cas workload against a raft-kv cluster that records a history for the linearizability
// checker: every call and return in real-time order, unknown outcomes kept as possibly applied, requests that
// certainly did nothing (no leader) left out.
import type { KvClient } from "../server/kv-client.js";
import { KvOutcomeUnknownError, KvUnavailableError } from "../server/kv-client.js";
import type { HistoryOp, KvInput } from "../sim/linearizability.js";

export interface WorkloadResult {
  history: HistoryOp[];
  acknowledgedWrites: number;
  unknownWrites: number;
  failedReads: number;
  unavailable: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A running workload: its counters and history so far (live), and `stop()`, which waits for the workers. */
export interface Workload {
  progress: WorkloadResult;
  stop(): Promise<WorkloadResult>;
}

/** Runs one loop of random operations on `keys` per client until `until` resolves. */
export async function runWorkload(
  clients: KvClient[],
  keys: string[],
  until: Promise<void>,
  seed = 1,
): Promise<WorkloadResult> {
  const workload = startWorkload(clients, keys, seed);
  await until;
  return workload.stop();
}

/** Starts one loop of random operations on `keys` per client; tests wait on `progress`, then `stop()`. */
export function startWorkload(clients: KvClient[], keys: string[], seed = 1): Workload {
  let clock = 0;
  let done = false;
  const r: WorkloadResult = {
    history: [],
    acknowledgedWrites: 0,
    unknownWrites: 0,
    failedReads: 0,
    unavailable: 0,
  };
  let rng = seed >>> 0 || 1;
  const rand = (n: number) => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) % n;
  };
  const worker = async (w: number, client: KvClient) => {
    const seen = new Map<string, string | null>();
    for (let n = 0; !done; n++) {
      const key = keys[rand(keys.length)]!;
      const kind = rand(4);
      const value = `w${w}-${n}`;
      const input: KvInput =
        kind < 2
          ? { type: "put", value }
          : kind === 2
            ? { type: "get" }
            : { type: "cas", old: seen.get(key) ?? null, value };
      const op: HistoryOp = { key, input, callTime: ++clock, label: `${w}:${n}` };
      try {
        if (input.type === "put") {
          await client.put(key, enc.encode(value));
          op.output = { ok: true };
          seen.set(key, value);
          r.acknowledgedWrites++;
        } else if (input.type === "get") {
          const g = await client.get(key);
          const v = g.found ? dec.decode(g.value) : null;
          op.output = { value: v };
          seen.set(key, v);
        } else {
          const c = await client.cas(
            key,
            input.old === null ? undefined : enc.encode(input.old),
            enc.encode(value),
          );
          op.output = { ok: c.succeeded };
          seen.set(key, c.succeeded ? value : c.found ? dec.decode(c.current) : null);
          if (c.succeeded) r.acknowledgedWrites++;
        }
        op.returnTime = ++clock;
        r.history.push(op);
      } catch (err) {
        if (err instanceof KvOutcomeUnknownError && input.type !== "get") {
          r.unknownWrites++;
          r.history.push(op); // possibly applied: no output, no return
        } else if (err instanceof KvUnavailableError || err instanceof KvOutcomeUnknownError) {
          if (input.type === "get") r.failedReads++;
          else r.unavailable++;
        } else throw err;
      }
    }
  };
  const running = Promise.all(clients.map((c, i) => worker(i, c)));
  running.catch(() => {}); // an unexpected error surfaces from stop()
  return {
    progress: r,
    async stop() {
      done = true;
      await running;
      return r;
    },
  };
}
