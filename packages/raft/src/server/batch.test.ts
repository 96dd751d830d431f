import { describe, expect, it } from "vitest";
import { BatchDecodeError, decodeBatch, encodeBatch } from "./batch.js";
import { decodeCommand, encodeCommand, KvStateMachine } from "./kv-state-machine.js";

const enc = new TextEncoder();

describe("proposal batches and KV commands", () => {
  it("round-trips batches, including empty commands", () => {
    const cmds = [enc.encode("a"), new Uint8Array(), enc.encode("ccc")];
    expect(decodeBatch(encodeBatch(cmds))).toEqual(cmds);
    expect(() => decodeBatch(new Uint8Array([5, 0, 0, 0, 1]))).toThrow(BatchDecodeError);
  });

  it("round-trips put and cas commands with their proposal id", () => {
    const id = new Uint8Array(16).fill(7);
    const put = decodeCommand(encodeCommand(id, { op: "put", key: "k", value: enc.encode("v") }));
    expect(put).toEqual({ id: "07".repeat(16), cmd: { op: "put", key: "k", value: enc.encode("v") } });
    const cas = decodeCommand(
      encodeCommand(id, { op: "cas", key: "k", expected: undefined, value: enc.encode("w") }),
    );
    expect(cas.cmd).toEqual({ op: "cas", key: "k", expected: undefined, value: enc.encode("w") });
  });

  it("applies put and cas, and survives a snapshot", () => {
    const kv = new KvStateMachine();
    expect(kv.apply({ op: "cas", key: "k", expected: undefined, value: enc.encode("1") }).succeeded).toBe(
      true,
    );
    expect(kv.apply({ op: "cas", key: "k", expected: undefined, value: enc.encode("2") }).succeeded).toBe(
      false,
    );
    expect(
      kv.apply({ op: "cas", key: "k", expected: enc.encode("1"), value: enc.encode("2") }).succeeded,
    ).toBe(true);
    kv.apply({ op: "put", key: "é", value: new Uint8Array() });
    const copy = new KvStateMachine();
    copy.restore(kv.snapshot());
    expect([copy.size, copy.get("k"), copy.get("é")]).toEqual([2, enc.encode("2"), new Uint8Array()]);
  });
});
