// The federation bench's `samplesLost`: seqs missing in the Knowledge Base's telemetry history once it has
// settled, named one by one with when they were sampled and the fault just before, so a loss can be traced.
//
// A gap is not a loss while JetStream may still deliver it: a batch delivered into a cloud server that died
// on the way is redelivered after the history consumer's ack wait (GET /api/v1/telemetry/coverage reports it
// per region). So the history is read until two reads agree, and a gap still there is read again once the ack
// wait has passed since the last fault; what is missing then is lost.
import type { Federation } from "../../src/federation/federation.js";

interface DeviceCoverage {
  device: string;
  missing: number;
  count: number;
  firstSeq: number;
  lastSeq: number;
}
interface Coverage {
  devices: DeviceCoverage[];
  regions?: { region: string; ackWaitMs: number; unacknowledgedSamples: number; error?: string }[];
}

/** A fault of the trial, by wall-clock time, to name what a gap followed. */
export interface TrialEvent {
  atMs: number;
  what: string;
}

export interface HistoryGaps {
  /** Seqs still missing after the ack wait (every agent of a fresh federation starts at seq 0). */
  missing: number;
  /** Samples stored for the devices counted. */
  count: number;
  /** Seqs that were missing at first and arrived later (redelivered): late, not lost. */
  filledLate: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The devices not in `killed`: the missing seqs once two reads agree (or after 60 s of change). */
async function settledRead(fed: Federation, killed: Set<string>) {
  const read = async () => {
    const c = await fed.rest.request<Coverage>("/api/v1/telemetry/coverage");
    const kept = c.devices.filter((d) => !killed.has(d.device));
    const missing = kept.reduce((n, d) => n + d.missing + d.firstSeq, 0);
    const gaps = kept.filter((d) => d.missing + d.firstSeq > 0);
    const ackWaitMs = Math.max(0, ...(c.regions ?? []).map((r) => r.ackWaitMs));
    return { missing, count: kept.reduce((n, d) => n + d.count, 0), gaps, ackWaitMs };
  };
  let last = await read();
  for (let i = 0; i < 20; i++) {
    await sleep(3000);
    const now = await read();
    const agreed = now.missing === last.missing && now.count > last.count;
    last = now;
    if (agreed) break;
  }
  return last;
}

/** The seqs `device` lacks between its first and last stored sample, each with the sample times around it. */
async function namedGaps(fed: Federation, device: string, nowMs: number) {
  type Sample = { seq: number; tsMs: number };
  const body = await fed.rest.request<{ samples: Sample[] }>(
    `/api/v1/devices/${encodeURIComponent(device)}/telemetry?from=0&to=${nowMs}&limit=100000`,
  );
  const samples = [...body.samples].sort((a, b) => a.seq - b.seq);
  const out: { seqs: [number, number]; afterTsMs: number | null; beforeTsMs: number | null }[] = [];
  let prev: Sample | undefined;
  for (const s of samples) {
    const from = prev ? prev.seq + 1 : 0;
    if (s.seq > from)
      out.push({ seqs: [from, s.seq - 1], afterTsMs: prev?.tsMs ?? null, beforeTsMs: s.tsMs });
    prev = s;
  }
  return out;
}

/**
 * `samplesLost` of one trial. `lastFaultMs` is when the last fault ended (the NATS restart); `events` the
 * trial's faults, to say which one a gap followed.
 */
export async function historyGaps(
  fed: Federation,
  killed: Set<string>,
  o: { lastFaultMs: number; events: TrialEvent[]; say: (line: string) => void },
): Promise<HistoryGaps> {
  const first = await settledRead(fed, killed);
  let last = first;
  if (first.missing > 0) {
    const waitMs = o.lastFaultMs + first.ackWaitMs + 3000 - Date.now();
    o.say(
      `  ${first.missing} seqs missing at first; waiting ${Math.max(0, Math.round(waitMs / 1000))} s (the history's ack wait, ${first.ackWaitMs / 1000} s, since the last fault) for redelivery`,
    );
    if (waitMs > 0) await sleep(waitMs);
    last = await settledRead(fed, killed);
  }
  if (last.count === 0) throw new Error("the Knowledge Base stored no telemetry");
  const startMs = o.events[0]?.atMs ?? 0;
  const fault = (tsMs: number | null) => {
    if (tsMs === null) return "before its first sample";
    const before = o.events.filter((e) => e.atMs <= tsMs).at(-1);
    return `sampled ${((tsMs - startMs) / 1000).toFixed(1)} s into the trial${before ? `, ${((tsMs - before.atMs) / 1000).toFixed(1)} s after "${before.what}" began` : ""}`;
  };
  for (const d of last.gaps) {
    const named = await namedGaps(fed, d.device, Date.now()).catch(() => []);
    const where = named
      .slice(0, 5)
      .map((g) => `seq ${g.seqs[0]}${g.seqs[1] > g.seqs[0] ? `–${g.seqs[1]}` : ""} (${fault(g.afterTsMs)})`)
      .join("; ");
    o.say(
      `  ${d.device}: ${d.missing + d.firstSeq} seqs missing between 0 and ${d.lastSeq} at the Knowledge Base: ${where || "not named"}`,
    );
  }
  return { missing: last.missing, count: last.count, filledLate: Math.max(0, first.missing - last.missing) };
}
