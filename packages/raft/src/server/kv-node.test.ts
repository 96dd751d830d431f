// Three raft-kv members in this process over real gRPC on loopback, with write-ahead logs in temp dirs.
import * as grpc from "@grpc/grpc-js";
import { raftV1 } from "@qonnect/proto";
import { freePort, tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { KvClient } from "./kv-client.js";
import { EmptyDataDirError, type KvNode, startKvNode } from "./kv-node.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cluster(n: number, opts: { snapshotEntries?: number } = {}) {
  const peers = new Map<number, string>();
  for (let i = 1; i <= n; i++) peers.set(i, `127.0.0.1:${await freePort()}`);
  const dirs = new Map<number, string>();
  for (const id of peers.keys()) {
    const d = tempDir(`qonnect-kv-${id}-`);
    cleanups.push(() => d.remove());
    dirs.set(id, d.path);
  }
  const nodes = new Map<number, KvNode>();
  const start = async (id: number) => {
    const node = await startKvNode({
      id,
      listen: peers.get(id)!,
      peers,
      dataDir: dirs.get(id)!,
      heartbeatMs: 20,
      electionMs: 200,
      initialClusterState: "new",
      ...opts,
    });
    nodes.set(id, node);
    return node;
  };
  const stop = async (id: number) => {
    await nodes.get(id)?.stop();
    nodes.delete(id);
  };
  await Promise.all([...peers.keys()].map(start));
  cleanups.push(async () => {
    for (const id of [...nodes.keys()]) await stop(id);
  });
  const client = new KvClient([...peers.values()], { timeoutMs: 10_000 });
  cleanups.push(() => client.close());
  return { peers, nodes, start, stop, client };
}

async function leaderOf(c: Awaited<ReturnType<typeof cluster>>): Promise<number> {
  for (;;) {
    for (const [id, n] of c.nodes) if (n.driver.status().role === "leader") return id;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("raft-kv members in one process", () => {
  it("refuses an empty data directory unless told to found or join a cluster; a wiped member is noticed", async () => {
    const d = tempDir("qonnect-kv-empty-");
    cleanups.push(() => d.remove());
    const port = await freePort();
    const base = {
      id: 1,
      listen: `127.0.0.1:${port}`,
      peers: new Map([[1, `127.0.0.1:${port}`]]),
      dataDir: d.path,
      heartbeatMs: 20,
      electionMs: 200,
    };
    await expect(startKvNode(base)).rejects.toBeInstanceOf(EmptyDataDirError);
    // the refusal left the directory free (its lock released): founding works
    const node = await startKvNode({ ...base, initialClusterState: "new" });
    await node.stop();
    // a directory with a log starts without being told
    const again = await startKvNode(base);
    await again.stop();
  });

  it("elects a leader, writes, reads linearizably and compares-and-sets", async () => {
    const c = await cluster(3);
    const put = await c.client.put("a", enc.encode("1"));
    expect(put.index).toBeGreaterThan(0);
    const got = await c.client.get("a");
    expect([got.found, dec.decode(got.value)]).toEqual([true, "1"]);
    expect(got.readIndex).toBeGreaterThanOrEqual(put.index);
    const miss = await c.client.cas("a", enc.encode("0"), enc.encode("2"));
    expect([miss.succeeded, dec.decode(miss.current)]).toEqual([false, "1"]);
    const hit = await c.client.cas("a", enc.encode("1"), enc.encode("2"));
    expect(hit.succeeded).toBe(true);
    const create = await c.client.cas("b", undefined, enc.encode("x"));
    expect([create.succeeded, create.found]).toEqual([true, false]);
    expect((await c.client.get("nope")).found).toBe(false);
    const leader = await leaderOf(c);
    const status = await c.client.status(c.peers.get(leader)!);
    expect(status).toMatchObject({ id: leader, role: "leader", leaderId: leader });
    expect(status.appliedIndex).toBeGreaterThanOrEqual(hit.index);
  });

  it("a client given only a follower's address follows the leader hint (reads and writes)", async () => {
    const c = await cluster(3);
    await c.client.put("hint", enc.encode("1"));
    const leader = await leaderOf(c);
    const follower = [...c.peers.keys()].find((id) => id !== leader)!;
    const one = new KvClient([c.peers.get(follower)!], { timeoutMs: 10_000 });
    try {
      const got = await one.get("hint");
      expect([got.found, dec.decode(got.value)]).toEqual([true, "1"]);
      expect((await one.put("hint", enc.encode("2"))).index).toBeGreaterThan(0);
      expect(dec.decode((await c.client.get("hint")).value)).toBe("2");
    } finally {
      one.close();
    }
  });

  it("pipelines puts on one stream and answers each by id, with the leader hint from a follower", async () => {
    const c = await cluster(3);
    await c.client.put("warm", enc.encode("x"));
    const leader = await leaderOf(c);
    const follower = [...c.peers.keys()].find((id) => id !== leader)!;
    const answers = async (address: string, n: number) => {
      const client = new raftV1.KvServiceClient(address, grpc.credentials.createInsecure());
      const stream = client.putStream();
      const got: raftV1.PutStreamResponse[] = [];
      const done = new Promise<void>((resolve) => stream.on("end", () => resolve()));
      stream.on("data", (r: raftV1.PutStreamResponse) => got.push(r));
      for (let i = 1; i <= n; i++) stream.write({ id: i, key: `s${i}`, value: enc.encode(`v${i}`) });
      stream.end();
      await done;
      client.close();
      return got.sort((a, b) => a.id - b.id);
    };
    const ok = await answers(c.peers.get(leader)!, 50);
    expect(ok.map((r) => [r.id, r.code])).toEqual(
      Array.from({ length: 50 }, (_, i) => [i + 1, grpc.status.OK]),
    );
    expect(dec.decode((await c.client.get("s50")).value)).toBe("v50");
    const refused = await answers(c.peers.get(follower)!, 2);
    expect(refused.map((r) => [r.code, r.leaderAddress])).toEqual([
      [grpc.status.FAILED_PRECONDITION, c.peers.get(leader)],
      [grpc.status.FAILED_PRECONDITION, c.peers.get(leader)],
    ]);
  });

  it("keeps every acknowledged write through a leader restart and a snapshot catch-up", async () => {
    const c = await cluster(3, { snapshotEntries: 50 });
    const acked = new Map<string, string>();
    for (let i = 0; i < 120; i++) {
      await c.client.put(`k${i % 40}`, enc.encode(`v${i}`));
      acked.set(`k${i % 40}`, `v${i}`);
    }
    const old = await leaderOf(c);
    await c.stop(old);
    for (let i = 120; i < 300; i++) {
      await c.client.put(`k${i % 40}`, enc.encode(`v${i}`));
      acked.set(`k${i % 40}`, `v${i}`);
    }
    await c.start(old);
    // the restarted node catches up (by snapshot: the others compacted past what it holds)
    const newLeader = await leaderOf(c);
    const target = c.nodes.get(newLeader)!.driver.status().commitIndex;
    for (;;) {
      const s = c.nodes.get(old)!.driver.status();
      if (s.appliedIndex >= target) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const [k, v] of acked) expect(dec.decode((await c.client.get(k)).value)).toBe(v);
    expect(c.nodes.get(old)!.storage.snapshot().meta.index).toBeGreaterThan(0);
  });
});
