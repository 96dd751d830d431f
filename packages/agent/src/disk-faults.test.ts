// Damage and full disks under the agent's own files: a byte flipped after the spool was opened, and a real
// tmpfs of 256 KiB that fills up (ENOSPC) under the spool and state.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Spool } from "./spool.js";
import { StateStore, StateWriteError } from "./state-store.js";

const rec = (i: number, size = 100) => new TextEncoder().encode(`record-${i}-${"x".repeat(size)}`);

describe("spool records are checked on read", () => {
  it("a record damaged after the spool was opened is skipped and counted, never handed out", () => {
    const d = tempDir("qonnect-spool-crc-");
    try {
      const spool = new Spool(d.path, { maxBytes: 1 << 20 });
      for (let i = 0; i < 3; i++) spool.append(rec(i));
      const seg = join(d.path, readdirSync(d.path).find((f) => f.endsWith(".seg"))!);
      const buf = readFileSync(seg);
      buf.writeUInt8(buf.readUInt8(28) ^ 0x01, 28); // inside the first record's payload
      writeFileSync(seg, buf);
      expect(spool.peek(10)).toEqual([]);
      expect(spool.corrupted).toBe(1);
      spool.close();
    } finally {
      d.remove();
    }
  });
});

describe("a full disk (a real 256 KiB tmpfs)", () => {
  const mnt = join(tmpdir(), `qonnect-agent-enospc-${process.pid}`);
  let mounted = false;
  beforeAll(() => {
    mkdirSync(mnt, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt]);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) execFileSync("umount", [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it("state.json is 0600, and a write that hits ENOSPC leaves the previous state intact", () => {
    const store = new StateStore(join(mnt, "state"));
    const first = { token: { term: 2, planVersion: 5 }, desired: [], seqReserved: 600 };
    store.save(first);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    // fill the disk
    writeFileSync(join(mnt, "filler"), Buffer.alloc(0));
    try {
      for (;;) writeFileSync(join(mnt, "filler"), Buffer.alloc(4096), { flag: "a" });
    } catch {
      // full
    }
    const big = {
      ...first,
      token: { term: 3, planVersion: 1 },
      desired: [
        {
          app: "a",
          service: "b",
          replica: 1,
          image: "",
          command: ["x".repeat(300_000)],
          ports: [],
          env: {},
          cpuMillis: 0,
          memoryBytes: 0,
          calls: [],
          plan: "",
        },
      ],
    };
    expect(() => store.save(big)).toThrow(StateWriteError);
    expect(store.load()).toEqual(first);
    expect(readdirSync(join(mnt, "state"))).toEqual(["state.json"]);
    rmSync(join(mnt, "filler"));
  });

  it("the spool never throws on ENOSPC: failed appends are counted, earlier records stay readable", () => {
    const spool = new Spool(join(mnt, "spool"), { maxBytes: 64 << 20 });
    let written = 0;
    for (let i = 0; i < 400; i++) if (spool.append(rec(i, 2000))) written++;
    expect(spool.writeFailures).toBeGreaterThan(0);
    expect(written).toBeGreaterThan(0);
    const all = spool.peek(1000);
    expect(all).toHaveLength(written);
    spool.close();
    // reopened after the crash-free close, the same records are there
    const again = new Spool(join(mnt, "spool"), { maxBytes: 64 << 20 });
    expect(again.depth).toBe(written);
    again.close();
  });
});
