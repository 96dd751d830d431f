import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry } from "../entry.js";
import { CompactedError, UnavailableError } from "../storage.js";
import { StorageOrderError } from "../stored-log.js";
import { WalStorage } from "./wal-storage.js";

const dirs: { remove(): void }[] = [];
function dir(): string {
  const d = tempDir("qonnect-wal-");
  dirs.push(d);
  return d.path;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function ents(from: number, to: number, term: number, size = 8): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++)
    out.push({ index: i, term, type: "normal", data: new Uint8Array(size).fill(i % 251) });
  return out;
}

function reopen(w: WalStorage, options = {}): WalStorage {
  w.close();
  return WalStorage.open(w.dir, options);
}

describe("WalStorage", () => {
  it("bootstraps an empty directory with the initial membership", () => {
    const w = WalStorage.open(dir(), { initialConf: { voters: [1, 2, 3], learners: [] } });
    expect(w.initialState()).toEqual({
      hardState: { term: 0, vote: 0, commit: 0 },
      conf: { voters: [1, 2, 3], learners: [] },
    });
    expect([w.firstIndex(), w.lastIndex()]).toEqual([1, 0]);
    const again = reopen(w, { initialConf: { voters: [9], learners: [] } });
    expect(again.initialState().conf.voters).toEqual([1, 2, 3]);
    again.close();
  });

  it("keeps entries and hard state across a reopen", () => {
    const w = WalStorage.open(dir());
    w.append(ents(1, 10, 1));
    w.setHardState({ term: 1, vote: 2, commit: 7 });
    w.sync();
    const r = reopen(w);
    expect(r.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 7 });
    expect(r.entries(1, 11)).toEqual(ents(1, 10, 1));
    expect(r.term(10)).toBe(1);
    expect(r.recovery.tornTail).toBeUndefined();
    r.close();
  });

  it("replaces a conflicting suffix, and replays the replacement", () => {
    const w = WalStorage.open(dir());
    w.append(ents(1, 10, 1));
    w.append(ents(6, 8, 2));
    expect(w.lastIndex()).toBe(8);
    w.sync();
    const r = reopen(w);
    expect(r.entries(1, 9)).toEqual([...ents(1, 5, 1), ...ents(6, 8, 2)]);
    expect(() => r.append(ents(10, 10, 2))).toThrow(StorageOrderError);
    r.close();
  });

  it("limits entries by size and reports compacted and unavailable indexes", () => {
    const w = WalStorage.open(dir());
    w.append(ents(1, 10, 1, 100));
    expect(w.entries(1, 11, 250)).toHaveLength(2);
    expect(w.entries(1, 11, 1)).toHaveLength(1);
    w.createSnapshot(5, { voters: [1], learners: [] }, new Uint8Array([5]));
    expect(() => w.entries(4, 6)).toThrow(CompactedError);
    expect(() => w.term(4)).toThrow(CompactedError);
    expect(() => w.term(11)).toThrow(UnavailableError);
    expect(() => w.entries(6, 12)).toThrow(UnavailableError);
    expect(w.term(5)).toBe(1);
    w.close();
  });

  it("cuts segments, compacts them behind a snapshot and recovers from what is left", () => {
    const w = WalStorage.open(dir(), { segmentSizeBytes: 1024 });
    for (let i = 1; i <= 200; i += 10) {
      w.append(ents(i, i + 9, 1, 64));
      w.setHardState({ term: 1, vote: 1, commit: i + 9 });
      w.sync();
    }
    const before = w.segmentFiles().length;
    expect(before).toBeGreaterThan(5);
    const snap = w.createSnapshot(
      150,
      { voters: [1, 2, 3], learners: [] },
      new TextEncoder().encode("state@150"),
    );
    expect(snap.meta).toEqual({ index: 150, term: 1, conf: { voters: [1, 2, 3], learners: [] } });
    const after = w.segmentFiles().length;
    expect(after).toBeLessThan(before);
    for (const f of w.segmentFiles()) expect(statSync(f).size).toBeGreaterThan(0);
    w.append(ents(201, 210, 2, 64));
    w.sync();
    const r = reopen(w, { segmentSizeBytes: 1024 });
    expect([r.firstIndex(), r.lastIndex()]).toEqual([151, 210]);
    expect(r.snapshot().meta.index).toBe(150);
    expect(new TextDecoder().decode(r.snapshot().data)).toBe("state@150");
    expect(r.initialState()).toEqual({
      hardState: { term: 1, vote: 1, commit: 200 },
      conf: { voters: [1, 2, 3], learners: [] },
    });
    expect(r.entries(151, 211)).toEqual([...ents(151, 200, 1, 64), ...ents(201, 210, 2, 64)]);
    r.close();
  });

  it("keeps only the newest snapshot files", () => {
    const w = WalStorage.open(dir(), { segmentSizeBytes: 512 });
    w.append(ents(1, 40, 1, 32));
    for (const i of [10, 20, 30, 40]) w.createSnapshot(i, { voters: [1], learners: [] }, new Uint8Array([i]));
    const snaps = readdirSync(join(w.dir, "snap")).sort();
    expect(snaps).toHaveLength(2);
    expect(snaps[1]).toMatch(/^0+28-0+1\.snap$/);
    w.close();
  });

  it("replaces the whole log with a snapshot from the leader", () => {
    const w = WalStorage.open(dir());
    w.append(ents(1, 10, 1));
    w.applySnapshot({
      meta: { index: 50, term: 3, conf: { voters: [1, 2], learners: [4] } },
      data: new Uint8Array([7]),
    });
    expect([w.firstIndex(), w.lastIndex()]).toEqual([51, 50]);
    w.append(ents(51, 52, 3));
    w.setHardState({ term: 3, vote: 0, commit: 52 });
    w.sync();
    const r = reopen(w);
    expect([r.firstIndex(), r.lastIndex(), r.term(50)]).toEqual([51, 52, 3]);
    expect(r.initialState().conf).toEqual({ voters: [1, 2], learners: [4] });
    expect(r.snapshot().data).toEqual(new Uint8Array([7]));
    expect(() =>
      r.applySnapshot({
        meta: { index: 10, term: 1, conf: { voters: [], learners: [] } },
        data: new Uint8Array(),
      }),
    ).toThrow(StorageOrderError);
    r.close();
  });

  it("drops appended entries the snapshot already covers", () => {
    const w = WalStorage.open(dir());
    w.applySnapshot({
      meta: { index: 5, term: 2, conf: { voters: [1], learners: [] } },
      data: new Uint8Array(),
    });
    w.append(ents(4, 8, 2));
    expect([w.firstIndex(), w.lastIndex()]).toEqual([6, 8]);
    w.sync();
    const r = reopen(w);
    expect(r.entries(6, 9)).toEqual(ents(6, 8, 2));
    r.close();
  });
});
