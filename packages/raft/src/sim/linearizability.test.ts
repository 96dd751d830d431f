import { describe, expect, it } from "vitest";
import { checkKey, checkLinearizable, type HistoryOp } from "./linearizability.js";

const put = (value: string, call: number, ret?: number, key = "k"): HistoryOp => ({
  key,
  input: { type: "put", value },
  ...(ret === undefined ? {} : { output: { ok: true } }),
  callTime: call,
  ...(ret === undefined ? {} : { returnTime: ret }),
});
const get = (value: string | null, call: number, ret: number, key = "k"): HistoryOp => ({
  key,
  input: { type: "get" },
  output: { value },
  callTime: call,
  returnTime: ret,
});
const cas = (
  old: string | null,
  value: string,
  ok: boolean | undefined,
  call: number,
  ret?: number,
): HistoryOp => ({
  key: "k",
  input: { type: "cas", old, value },
  ...(ok === undefined ? {} : { output: { ok } }),
  callTime: call,
  ...(ret === undefined ? {} : { returnTime: ret }),
});

describe("linearizability checker (Wing–Gong–Lowe)", () => {
  it("accepts a sequential history", () => {
    expect(checkKey([put("1", 1, 2), get("1", 3, 4), put("2", 5, 6), get("2", 7, 8)])).toBe(true);
  });

  it("accepts an empty history and a read of an absent key", () => {
    expect(checkKey([])).toBe(true);
    expect(checkKey([get(null, 1, 2)])).toBe(true);
  });

  it("accepts a read that overlaps a write and sees either value", () => {
    expect(checkKey([put("1", 1, 2), put("2", 3, 10), get("1", 4, 5), get("2", 6, 7)])).toBe(true);
  });

  it("rejects a stale read after a completed write", () => {
    expect(checkKey([put("1", 1, 2), put("2", 3, 4), get("1", 5, 6)])).toBe(false);
  });

  it("rejects a read of a value never written", () => {
    expect(checkKey([put("1", 1, 2), get("3", 3, 4)])).toBe(false);
  });

  it("rejects reads that go back in time (new value, then old value, both after the write began)", () => {
    expect(checkKey([put("1", 1, 2), put("2", 3, 20), get("2", 4, 5), get("1", 6, 7)])).toBe(false);
  });

  it("rejects a lost acknowledged write", () => {
    expect(checkKey([put("1", 1, 2), put("2", 3, 4), get(null, 5, 6)])).toBe(false);
  });

  it("checks compare-and-set outcomes", () => {
    expect(checkKey([put("a", 1, 2), cas("a", "b", true, 3, 4), get("b", 5, 6)])).toBe(true);
    expect(checkKey([put("a", 1, 2), cas("x", "b", false, 3, 4), get("a", 5, 6)])).toBe(true);
    // two concurrent cas from the same old value cannot both succeed
    expect(checkKey([put("a", 1, 2), cas("a", "b", true, 3, 6), cas("a", "c", true, 4, 7)])).toBe(false);
    // a failed cas must have seen a different value
    expect(checkKey([put("a", 1, 2), cas("a", "b", false, 3, 4)])).toBe(false);
  });

  it("lets an unknown write take effect later or never", () => {
    expect(checkKey([put("1", 1, 2), put("2", 3), get("1", 5, 6), get("2", 7, 8)])).toBe(true);
    expect(checkKey([put("1", 1, 2), put("2", 3), get("1", 5, 6), get("1", 7, 8)])).toBe(true);
    // but once seen it cannot be unseen
    expect(checkKey([put("1", 1, 2), put("2", 3), get("2", 5, 6), get("1", 7, 8)])).toBe(false);
  });

  it("lets an unknown cas succeed or fail", () => {
    expect(checkKey([put("a", 1, 2), cas("a", "b", undefined, 3), get("b", 5, 6)])).toBe(true);
    expect(checkKey([put("a", 1, 2), cas("a", "b", undefined, 3), get("a", 5, 6)])).toBe(true);
  });

  it("checks keys independently and names the failing key", () => {
    const h = [put("1", 1, 2, "x"), get(null, 3, 4, "y"), put("2", 5, 6, "y"), get("1", 7, 8, "y")];
    expect(checkLinearizable(h)).toEqual({ ok: false, key: "y", ops: 3 });
    expect(checkLinearizable(h.slice(0, 3))).toEqual({ ok: true });
  });

  it("handles many concurrent operations without blowing up", () => {
    const ops: HistoryOp[] = [];
    for (let i = 0; i < 12; i++) ops.push(put(String(i), i, 100 + i));
    ops.push(get("11", 200, 201));
    expect(checkKey(ops)).toBe(true);
    ops.push(get("3", 202, 203));
    expect(checkKey(ops)).toBe(false);
  });
});
