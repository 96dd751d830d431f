// The behaviour every Storage implementation must show. Framework-free so that it can be exported: pass
// vitest's `it` (or any `(name, fn) => void`) and a factory of empty storages.
//   describe("MyStorage", () => runStorageSuite({ test: it, create: () => new MyStorage(dir()) }));
import assert from "node:assert/strict";
import type { Entry, Snapshot } from "./entry.js";
import { CompactedError, type Storage, UnavailableError } from "./storage.js";

export interface StorageSuiteOptions {
  /** Registers one test case. */
  test: (name: string, fn: () => Promise<void> | void) => void;
  /** A new, empty storage (no entries, zero hard state, no voters). */
  create: () => Storage | Promise<Storage>;
  /** Durable implementations: close `s` and open it again from the same place; the suite checks what survives. */
  reopen?: (s: Storage) => Storage | Promise<Storage>;
}

const enc = new TextEncoder();

function ents(from: number, to: number, term: number, bytes = 4): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++)
    out.push({ index: i, term, type: "normal", data: enc.encode(`e${i}`.padEnd(bytes, ".")) });
  return out;
}

function terms(s: Storage, lo: number, hi: number): number[] {
  return s.entries(lo, hi).map((e) => e.term);
}

export function runStorageSuite({ test, create, reopen }: StorageSuiteOptions): void {
  test("starts empty", async () => {
    const s = await create();
    assert.equal(s.firstIndex(), 1);
    assert.equal(s.lastIndex(), 0);
    assert.equal(s.term(0), 0);
    assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
    assert.deepEqual(s.entries(1, 1), []);
    assert.equal(s.snapshot().meta.index, 0);
  });

  test("appends and reads entries back", async () => {
    const s = await create();
    s.append(ents(1, 5, 1));
    s.sync();
    assert.equal(s.lastIndex(), 5);
    assert.deepEqual(terms(s, 1, 6), [1, 1, 1, 1, 1]);
    const got = s.entries(2, 4);
    assert.deepEqual(
      got.map((e) => [e.index, e.term, e.type, new TextDecoder().decode(e.data)]),
      [
        [2, 1, "normal", "e2.."],
        [3, 1, "normal", "e3.."],
      ],
    );
    assert.equal(s.term(5), 1);
  });

  test("keeps entry types and empty data", async () => {
    const s = await create();
    s.append([
      { index: 1, term: 1, type: "conf", data: enc.encode('{"type":"addVoter","nodeId":1}') },
      { index: 2, term: 2, type: "noop", data: new Uint8Array() },
    ]);
    const [a, b] = s.entries(1, 3);
    assert.equal(a?.type, "conf");
    assert.equal(b?.type, "noop");
    assert.equal(b?.data.length, 0);
  });

  test("limits entries by bytes but returns at least one", async () => {
    const s = await create();
    s.append(ents(1, 10, 1, 10));
    assert.equal(s.entries(1, 11, 0).length, 1);
    assert.equal(s.entries(1, 11, 25).length, 2);
    assert.equal(s.entries(1, 11, 1_000).length, 10);
  });

  test("append truncates a conflicting suffix", async () => {
    const s = await create();
    s.append(ents(1, 5, 1));
    s.append(ents(3, 4, 2));
    assert.equal(s.lastIndex(), 4);
    assert.deepEqual(terms(s, 1, 5), [1, 1, 2, 2]);
    s.append(ents(5, 6, 2));
    assert.deepEqual(terms(s, 1, 7), [1, 1, 2, 2, 2, 2]);
  });

  test("refuses an append that leaves a gap", async () => {
    const s = await create();
    s.append(ents(1, 2, 1));
    assert.throws(() => s.append(ents(4, 5, 1)));
  });

  test("reports compacted and unavailable entries with named errors", async () => {
    const s = await create();
    s.append(ents(1, 10, 1));
    s.createSnapshot(5, { voters: [1], learners: [] }, enc.encode("sm@5"));
    assert.throws(() => s.term(4), CompactedError);
    assert.throws(() => s.entries(3, 7), CompactedError);
    assert.throws(() => s.term(11), UnavailableError);
    assert.throws(() => s.entries(9, 12), UnavailableError);
  });

  test("saves hard state", async () => {
    const s = await create();
    s.append(ents(1, 3, 2));
    s.setHardState({ term: 3, vote: 2, commit: 3 });
    s.sync();
    assert.deepEqual(s.initialState().hardState, { term: 3, vote: 2, commit: 3 });
  });

  test("createSnapshot compacts the log up to its index", async () => {
    const s = await create();
    s.append(ents(1, 5, 1).concat(ents(6, 10, 2)));
    const snap = s.createSnapshot(7, { voters: [1, 2, 3], learners: [4] }, enc.encode("sm@7"));
    assert.deepEqual(snap.meta, { index: 7, term: 2, conf: { voters: [1, 2, 3], learners: [4] } });
    assert.equal(s.firstIndex(), 8);
    assert.equal(s.lastIndex(), 10);
    assert.equal(s.term(7), 2);
    assert.deepEqual(terms(s, 8, 11), [2, 2, 2]);
    assert.equal(new TextDecoder().decode(s.snapshot().data), "sm@7");
    assert.deepEqual(s.initialState().conf, { voters: [1, 2, 3], learners: [4] });
    s.append(ents(11, 12, 3));
    assert.equal(s.lastIndex(), 12);
  });

  test("createSnapshot of everything leaves an empty log after the snapshot", async () => {
    const s = await create();
    s.append(ents(1, 4, 1));
    s.createSnapshot(4, { voters: [1], learners: [] }, new Uint8Array([1, 2, 3]));
    assert.equal(s.firstIndex(), 5);
    assert.equal(s.lastIndex(), 4);
    assert.equal(s.term(4), 1);
    assert.deepEqual(s.entries(5, 5), []);
    s.append(ents(5, 5, 2));
    assert.deepEqual(terms(s, 5, 6), [2]);
  });

  test("applySnapshot replaces the whole log", async () => {
    const s = await create();
    s.append(ents(1, 3, 1));
    const snap: Snapshot = {
      meta: { index: 20, term: 4, conf: { voters: [1, 2], learners: [] } },
      data: enc.encode("remote"),
    };
    s.applySnapshot(snap);
    assert.equal(s.firstIndex(), 21);
    assert.equal(s.lastIndex(), 20);
    assert.equal(s.term(20), 4);
    assert.equal(s.snapshot().meta.index, 20);
    assert.equal(new TextDecoder().decode(s.snapshot().data), "remote");
    assert.deepEqual(s.initialState().conf, { voters: [1, 2], learners: [] });
    s.append(ents(21, 22, 4));
    assert.deepEqual(terms(s, 21, 23), [4, 4]);
  });

  if (reopen) {
    test("synced entries, hard state and snapshot survive a reopen", async () => {
      let s = await create();
      s.append(ents(1, 6, 1));
      s.setHardState({ term: 2, vote: 1, commit: 4 });
      s.createSnapshot(3, { voters: [1, 2, 3], learners: [] }, enc.encode("sm@3"));
      s.append(ents(6, 8, 2));
      s.sync();
      s = await reopen(s);
      assert.deepEqual(s.initialState().hardState, { term: 2, vote: 1, commit: 4 });
      assert.deepEqual(s.initialState().conf, { voters: [1, 2, 3], learners: [] });
      assert.equal(s.firstIndex(), 4);
      assert.equal(s.lastIndex(), 8);
      assert.deepEqual(terms(s, 4, 9), [1, 1, 2, 2, 2]);
      assert.equal(new TextDecoder().decode(s.snapshot().data), "sm@3");
    });
  }
}
