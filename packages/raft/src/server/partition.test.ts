// Partition the leader away with real network namespaces: three `raft-kv serve` processes, each in its own
// namespace, and the CLI client in a fourth. The isolated old leader must stop serving writes and reads; the
// majority elects a new leader and takes writes; after healing, the old leader follows and the write it could
// not vouch for is nowhere. Needs root and iproute2: without them the test fails and says so.
import { execFileSync, spawn } from "node:child_process";
import { bundleCli, CLIENT_ID, createPrivateNet, type PrivateNet, waitFor } from "@qonnect/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProcessCluster, startCluster } from "../testing/cluster.js";

const IDS = [1, 2, 3];
const PORT = 7000;
let net: PrivateNet;
let cluster: ProcessCluster;

/** Runs `qonnect dev raft-kv <args>` in the client's namespace; returns its JSON output. */
async function kv(args: string[], endpoints: number[], timeoutMs = 3000): Promise<Record<string, unknown>> {
  const eps = endpoints.map((id) => `${net.address(id)}:${PORT}`).join(",");
  const argv = ["netns", "exec", net.ns(CLIENT_ID), process.execPath, bundleCli(), "dev", "raft-kv", ...args];
  argv.push("--endpoints", eps, "--timeout-ms", String(timeoutMs));
  const out = await new Promise<string>((resolve) => {
    const child = spawn("ip", argv, { stdio: ["ignore", "pipe", "ignore"] });
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
    });
    child.on("exit", () => resolve(text));
  });
  const line = out.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { ok: false, error: "no-json", output: out };
  }
}

async function statusOf(id: number): Promise<Record<string, unknown>> {
  return kv(["status"], [id], 1500);
}

beforeAll(async () => {
  try {
    execFileSync("ip", ["-V"], { stdio: "pipe" });
  } catch {
    throw new Error(
      "the partition test needs iproute2: apt-get install -y iproute2 (scripts/install.sh does)",
    );
  }
  net = createPrivateNet(IDS);
  const addresses = new Map(IDS.map((id) => [id, `${net.address(id)}:${PORT}`]));
  cluster = await startCluster({
    size: IDS.length,
    heartbeatMs: 50,
    electionMs: 300,
    addresses,
    wrap: (id) => ["ip", "netns", "exec", net.ns(id)],
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  net?.remove();
});

describe("raft-kv partition (network namespaces)", () => {
  it("an isolated leader stops serving writes and reads; the majority carries on; healing converges", async () => {
    // a leader, as the members see it
    let leader = 0;
    await waitFor(
      async () => {
        const s = await statusOf(1);
        leader = s.ok && typeof s.leaderId === "number" ? s.leaderId : 0;
        return leader > 0;
      },
      { what: `a leader; logs in ${cluster.dataRoot}`, timeoutMs: 30_000 },
    );
    expect(await kv(["put", "k", "before"], IDS)).toMatchObject({ ok: true });
    const others = IDS.filter((id) => id !== leader);

    // cut the leader off from its peers, and the client off from everyone but the old leader
    for (const id of others) {
      net.setLink(leader, id, false);
      net.setLink(CLIENT_ID, id, false);
    }
    // check-quorum steps the old leader down once it has not heard from a majority for an election timeout
    await waitFor(
      async () => {
        const s = await statusOf(leader);
        return s.ok === true && s.role !== "leader";
      },
      {
        what: `the isolated leader to step down; logs in ${cluster.dataRoot}`,
        timeoutMs: 30_000,
      },
    );
    const during = await kv(["put", "k", "during"], [leader], 3000);
    expect(during.ok, JSON.stringify(during)).toBe(false);
    const staleRead = await kv(["get", "k"], [leader], 2000);
    expect(staleRead.ok, JSON.stringify(staleRead)).toBe(false);
    const isolated = await statusOf(leader);
    expect(isolated).toMatchObject({ ok: true });
    expect(isolated.role).not.toBe("leader");

    // the client reaches the majority again: a new leader takes the write
    for (const id of others) net.setLink(CLIENT_ID, id, true);
    const after = await kv(["put", "k", "after"], others, 10_000);
    expect(after, `logs in ${cluster.dataRoot}`).toMatchObject({ ok: true });
    const newLeader = (await statusOf(others[0]!)).leaderId as number;
    expect(others).toContain(newLeader);

    // heal: the old leader follows the new one and catches up; the unconfirmed write is nowhere
    for (const id of others) net.setLink(leader, id, true);
    let caughtUp: Record<string, unknown> = {};
    await waitFor(
      async () => {
        caughtUp = await statusOf(leader);
        return caughtUp.ok === true && (caughtUp.appliedIndex as number) >= (after.index as number);
      },
      { what: `the old leader to catch up; logs in ${cluster.dataRoot}`, timeoutMs: 30_000 },
    );
    expect(caughtUp).toMatchObject({ ok: true, role: "follower", leaderId: newLeader });
    expect(caughtUp.appliedIndex as number).toBeGreaterThanOrEqual(after.index as number);
    expect(await kv(["get", "k"], IDS, 10_000)).toMatchObject({ ok: true, value: "after" });
  }, 180_000);
});
