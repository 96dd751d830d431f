import { freePort } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

describe("qonnect dev raft-kv", () => {
  it("status against a member that is down: one JSON object naming it, what to check, exit 1", async () => {
    const ep = `127.0.0.1:${await freePort()}`;
    const io = bufferIo();
    expect(await run(["dev", "raft-kv", "status", "--endpoints", ep], io)).toBe(1);
    const out = JSON.parse(io.stdout);
    expect(out).toMatchObject({ ok: false, error: "unreachable" });
    expect(out.message).toContain(`no member answered: ${ep}:`);
    expect(out.message).not.toMatch(/Resolution note|no leader available/);
    expect(io.stderr).toMatch(/is the member running/);
  });

  it("a client command without endpoints is a usage error (exit 2)", async () => {
    const io = bufferIo();
    io.env.QONNECT_RAFT_ENDPOINTS = undefined;
    expect(await run(["dev", "raft-kv", "get", "k"], io)).toBe(2);
    expect(io.stdout).toBe("");
    expect(io.stderr).toMatch(/give --endpoints/);
  });
});
