// Unit tests of the small pieces: the inflight window, progress, majorities, conf changes, unstable entries,
// the raft log over storage, and ReadIndex bookkeeping.
import { describe, expect, it } from "vitest";
import { AlreadyBootstrappedError, bootstrap } from "./bootstrap.js";
import { applyConfChange, ConfChangeDecodeError, decodeConfChange, encodeConfChange } from "./conf-change.js";
import type { Entry } from "./entry.js";
import { Inflights } from "./inflights.js";
import { MemoryStorage } from "./memory-storage.js";
import { Progress } from "./progress.js";
import { RaftLog } from "./raft-log.js";
import { SeededRandom } from "./random.js";
import { ReadOnly } from "./read-only.js";
import { CompactedError } from "./storage.js";
import { majorityIndex, ProgressTracker } from "./tracker.js";

const ent = (index: number, term: number, bytes = 1): Entry => ({
  index,
  term,
  type: "normal",
  data: new Uint8Array(bytes),
});
const ctx = (s: string) => new TextEncoder().encode(s);

describe("Inflights", () => {
  it("bounds the window and frees acknowledged messages", () => {
    const w = new Inflights(3);
    w.add(5);
    w.add(7);
    w.add(9);
    expect(w.full()).toBe(true);
    expect(() => w.add(10)).toThrow();
    w.freeLE(7);
    expect(w.count()).toBe(1);
    w.freeFirstOne();
    expect(w.count()).toBe(0);
  });
});

describe("Progress", () => {
  it("probes one message at a time, then pipelines up to the window", () => {
    const p = new Progress(5, 2, false);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(6, 2);
    expect(p.isPaused()).toBe(true); // probe: wait for an answer
    expect(p.maybeUpdate(6)).toBe(true);
    p.becomeReplicate();
    expect(p.next).toBe(7);
    p.sentEntries(8, 2);
    p.sentEntries(9, 1);
    expect(p.next).toBe(10);
    expect(p.isPaused()).toBe(true); // window of 2 full
    p.inflights.freeLE(8);
    expect(p.isPaused()).toBe(false);
  });

  it("moves next back on a rejection, ignoring stale ones", () => {
    const p = new Progress(10, 4, false);
    expect(p.maybeDecrTo(8, 3)).toBe(false); // not the index we probed
    expect(p.maybeDecrTo(9, 3)).toBe(true);
    expect(p.next).toBe(4);
    p.maybeUpdate(5);
    p.becomeReplicate();
    expect(p.maybeDecrTo(4, 0)).toBe(false); // below match: stale
    expect(p.maybeDecrTo(7, 0)).toBe(true);
    expect(p.next).toBe(6);
  });

  it("after a snapshot, probes from past it", () => {
    const p = new Progress(3, 4, false);
    p.becomeSnapshot(20);
    expect(p.isPaused()).toBe(true);
    p.becomeProbe();
    expect(p.next).toBe(21);
  });
});

describe("majorities", () => {
  it("finds the index a majority has reached", () => {
    const m = (...ms: number[]) =>
      majorityIndex(
        ms.map((_, i) => i + 1),
        (id) => ms[id - 1] ?? 0,
      );
    expect(m(7)).toBe(7);
    expect(m(7, 3)).toBe(3);
    expect(m(7, 3, 5)).toBe(5);
    expect(m(1, 9, 9, 2)).toBe(2);
    expect(m(1, 9, 9, 2, 8)).toBe(8);
  });

  it("tallies votes: won, lost or pending, learners not counted", () => {
    const t = new ProgressTracker(4);
    t.setConf({ voters: [1, 2, 3, 4, 5], learners: [6] }, 1);
    t.recordVote(1, true);
    t.recordVote(6, true);
    t.recordVote(2, true);
    expect(t.tallyVotes()).toEqual({ granted: 2, rejected: 0, result: "pending" });
    t.recordVote(3, false);
    t.recordVote(4, false);
    t.recordVote(2, false); // a second answer from 2 does not count
    expect(t.tallyVotes().result).toBe("pending");
    t.recordVote(5, false);
    expect(t.tallyVotes().result).toBe("lost");
  });
});

describe("conf changes", () => {
  it("round-trips and rejects garbage", () => {
    const cc = { type: "addLearner" as const, nodeId: 7 };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(() => decodeConfChange(ctx("nope"))).toThrow(ConfChangeDecodeError);
    expect(() => decodeConfChange(ctx('{"type":"addVoter","nodeId":0}'))).toThrow(ConfChangeDecodeError);
  });

  it("applies idempotently, promotes learners and does not demote voters", () => {
    let c = { voters: [1, 2, 3], learners: [] as number[] };
    c = applyConfChange(c, { type: "addLearner", nodeId: 4 });
    expect(c).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(applyConfChange(c, { type: "addLearner", nodeId: 4 })).toEqual(c);
    c = applyConfChange(c, { type: "addVoter", nodeId: 4 });
    expect(c).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(applyConfChange(c, { type: "addLearner", nodeId: 2 })).toEqual(c);
    c = applyConfChange(c, { type: "removeNode", nodeId: 1 });
    expect(c).toEqual({ voters: [2, 3, 4], learners: [] });
    expect(applyConfChange(c, { type: "removeNode", nodeId: 9 })).toEqual(c);
  });
});

describe("RaftLog", () => {
  function log(terms: number[]): RaftLog {
    const s = new MemoryStorage();
    s.append(terms.map((t, i) => ent(i + 1, t)));
    return new RaftLog(s);
  }

  it("appends after a match, truncates a conflicting suffix, never touches committed entries", () => {
    const l = log([1, 1, 2]);
    expect(l.maybeAppend(3, 3, 0, [ent(4, 3)])).toBeUndefined(); // term at 3 is 2, not 3
    expect(l.maybeAppend(2, 1, 2, [ent(3, 3), ent(4, 3)])).toBe(4);
    expect([1, 2, 3, 4].map((i) => l.term(i))).toEqual([1, 1, 3, 3]);
    expect(l.committed).toBe(2);
    expect(() => l.maybeAppend(1, 1, 2, [ent(2, 9)])).toThrow(/committed/);
  });

  it("finds where a rejected leader should probe next", () => {
    const l = log([1, 1, 2, 2, 4]);
    expect(l.findConflictByTerm(5, 3)).toEqual({ index: 4, term: 2 });
    expect(l.findConflictByTerm(9, 4)).toEqual({ index: 5, term: 4 });
    expect(l.findConflictByTerm(4, 1)).toEqual({ index: 2, term: 1 });
  });

  it("slices across storage and unstable entries within a byte budget", () => {
    const l = log([1, 1, 1]);
    l.append([ent(4, 2, 10), ent(5, 2, 10)]);
    expect(l.slice(2, 6).map((e) => e.index)).toEqual([2, 3, 4, 5]);
    expect(l.slice(3, 6, 11).map((e) => e.index)).toEqual([3, 4]);
    expect(l.slice(5, 6, 0).map((e) => e.index)).toEqual([5]);
    expect(l.persistedIndex()).toBe(3);
    l.unstable.stableTo(5, 2);
    expect(l.persistedIndex()).toBe(5);
  });

  it("reports compaction with a named error and restores from a snapshot", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
    s.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array());
    const l = new RaftLog(s);
    expect(l.firstIndex()).toBe(3);
    expect(() => l.slice(1, 3)).toThrow(CompactedError);
    expect(l.term(2)).toBe(1);
    expect(l.term(1)).toBe(0);
    l.restore({ meta: { index: 10, term: 3, conf: { voters: [1], learners: [] } }, data: new Uint8Array() });
    expect([l.firstIndex(), l.lastIndex(), l.committed, l.lastTerm()]).toEqual([11, 10, 10, 3]);
    expect(l.isUpToDate(10, 3)).toBe(true);
    expect(l.isUpToDate(11, 2)).toBe(false);
  });
});

describe("ReadOnly", () => {
  it("releases a read and every read queued before it", () => {
    const r = new ReadOnly();
    r.add(5, 1, ctx("a"), 1);
    r.add(6, 2, ctx("b"), 1);
    r.add(6, 1, ctx("c"), 1);
    expect(r.lastContext()).toEqual(ctx("c"));
    expect([...(r.ack(ctx("b"), 3) ?? [])].sort()).toEqual([1, 3]);
    expect(r.ack(ctx("zzz"), 3)).toBeUndefined();
    expect(r.advance(ctx("b")).map((p) => p.index)).toEqual([5, 6]);
    expect(r.size()).toBe(1);
  });
});

describe("bootstrap and the random source", () => {
  it("writes the founding membership as committed conf entries, once", () => {
    const s = new MemoryStorage();
    bootstrap(s, [1, 2, 3]);
    expect(s.entries(1, 4).map((e) => [e.index, e.term, e.type, decodeConfChange(e.data).nodeId])).toEqual([
      [1, 1, "conf", 1],
      [2, 1, "conf", 2],
      [3, 1, "conf", 3],
    ]);
    expect(s.initialState().hardState).toEqual({ term: 1, vote: 0, commit: 3 });
    expect(() => bootstrap(s, [1, 2, 3])).toThrow(AlreadyBootstrappedError);
  });

  it("repeats itself for the same seed", () => {
    const a = new SeededRandom(99);
    const b = new SeededRandom(99);
    const xs = Array.from({ length: 20 }, () => a.int(1000));
    expect(Array.from({ length: 20 }, () => b.int(1000))).toEqual(xs);
    expect(new Set(xs).size).toBeGreaterThan(10);
    expect(xs.every((x) => x >= 0 && x < 1000)).toBe(true);
  });
});
