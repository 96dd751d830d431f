import { appendFileSync, readdirSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Spool } from "./spool.js";

const rec = (i: number) => new TextEncoder().encode(`record-${i}-${"x".repeat(100)}`);
const text = (b: Uint8Array) => new TextDecoder().decode(b).split("-").slice(0, 2).join("-");

describe("Spool", () => {
  const dirs: { remove(): void }[] = [];
  const dir = () => {
    const d = tempDir("qonnect-spool-");
    dirs.push(d);
    return d.path;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });

  it("returns records in order and forgets them once committed", () => {
    const spool = new Spool(dir(), { maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) spool.append(rec(i));
    expect(spool.depth).toBe(5);
    const first = spool.peek(3);
    expect(first.map((r) => text(r.payload))).toEqual(["record-0", "record-1", "record-2"]);
    spool.commit(first[2]!.next, 3);
    expect(spool.depth).toBe(2);
    expect(spool.peek(10).map((r) => text(r.payload))).toEqual(["record-3", "record-4"]);
  });

  it("drops the oldest records when full and counts them", () => {
    const d = dir();
    const spool = new Spool(d, { maxBytes: 64 * 1024 });
    for (let i = 0; i < 2000; i++) spool.append(rec(i));
    expect(spool.sizeBytes).toBeLessThanOrEqual(64 * 1024);
    expect(spool.dropped).toBeGreaterThan(0);
    expect(spool.depth + spool.dropped).toBe(2000);
    const all = spool.peek(5000).map((r) => text(r.payload));
    expect(all).toHaveLength(spool.depth);
    expect(all.at(-1)).toBe("record-1999");
    expect(all[0]).toBe(`record-${spool.dropped}`);
  });

  it("survives a restart: position, depth and drop count", () => {
    const d = dir();
    const a = new Spool(d, { maxBytes: 1 << 20, positionSyncMs: 0 });
    for (let i = 0; i < 10; i++) a.append(rec(i));
    const got = a.peek(4);
    a.commit(got[3]!.next, 4);
    a.close();
    const b = new Spool(d, { maxBytes: 1 << 20 });
    expect(b.depth).toBe(6);
    expect(text(b.peek(1)[0]!.payload)).toBe("record-4");
  });

  it("cuts a torn tail after a crash and keeps what was whole", () => {
    const d = dir();
    const a = new Spool(d, { maxBytes: 1 << 20 });
    for (let i = 0; i < 3; i++) a.append(rec(i));
    a.close();
    const seg = readdirSync(d).find((f) => f.endsWith(".seg"))!;
    appendFileSync(join(d, seg), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const b = new Spool(d, { maxBytes: 1 << 20 });
    expect(b.depth).toBe(3);
    b.append(rec(3));
    expect(b.peek(10).map((r) => text(r.payload))).toEqual(["record-0", "record-1", "record-2", "record-3"]);
  });

  it("keeps reading after a restart whose saved position lies past a cut-off tail", () => {
    const d = dir();
    const a = new Spool(d, { maxBytes: 1 << 20, positionSyncMs: 0 });
    for (let i = 0; i < 3; i++) a.append(rec(i));
    const got = a.peek(3);
    a.commit(got[2]!.next, 3);
    a.close();
    const seg = readdirSync(d).find((f) => f.endsWith(".seg"))!;
    truncateSync(join(d, seg), 20); // the disk lost the tail the position points past
    const b = new Spool(d, { maxBytes: 1 << 20 });
    b.append(rec(3));
    expect(b.peek(10).map((r) => text(r.payload))).toEqual(["record-3"]);
  });
});
