// Real `qonnect dev raft-kv serve` processes over gRPC on loopback: kill -9 the leader under a concurrent
// put/get/cas load, restart it, and check that the recorded history is linearizable (so no acknowledged write
// was lost and no read was stale) and that every member ends with the same state.
import { waitFor } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { checkLinearizable } from "../sim/linearizability.js";
import { type ProcessCluster, startCluster } from "../testing/cluster.js";
import { startWorkload } from "../testing/history.js";
import { KvClient } from "./kv-client.js";

const clusters: ProcessCluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.stop();
});

async function killLeaderUnderLoad(size: number, kills: number): Promise<void> {
  const c = await startCluster({ size, heartbeatMs: 50, electionMs: 300, snapshotEntries: 200 });
  clusters.push(c);
  await c.waitForLeader();
  const clients = [0, 1, 2, 3].map(
    () => new KvClient(c.endpoints, { timeoutMs: 8000, attemptTimeoutMs: 3000 }),
  );
  const load = startWorkload(clients, ["a", "b", "c", "d"], size * 7919);
  /** Waits until the load has had `n` more writes acknowledged: the cluster takes writes. */
  const acknowledgesWrites = async (n: number, what: string) => {
    const target = load.progress.acknowledgedWrites + n;
    await waitFor(() => load.progress.acknowledgedWrites >= target, { what, timeoutMs: 30_000 });
  };
  try {
    for (let k = 0; k < kills; k++) {
      await acknowledgesWrites(5, "writes under load before the kill");
      const leader = await c.waitForLeader();
      await c.kill(leader.id, "SIGKILL");
      const next = await c.waitForLeader(30_000, leader.id);
      expect(next.id).not.toBe(leader.id);
      expect(next.term).toBeGreaterThan(leader.term);
      await acknowledgesWrites(5, "the new leader to take writes");
      c.start(leader.id);
    }
    await acknowledgesWrites(5, "writes after the restarts");
  } finally {
    await load.stop();
  }
  const result = load.progress;
  for (const cl of clients) cl.close();
  // a final read of every key joins the history: an acknowledged write that was lost would show up here
  const check = new KvClient(c.endpoints, { timeoutMs: 15_000 });
  let clock = result.history.reduce((m, op) => Math.max(m, op.returnTime ?? op.callTime), 0);
  for (const key of ["a", "b", "c", "d"]) {
    const g = await check.get(key);
    const callTime = ++clock;
    result.history.push({
      key,
      input: { type: "get" },
      output: { value: g.found ? new TextDecoder().decode(g.value) : null },
      callTime,
      returnTime: ++clock,
    });
  }
  const verdict = checkLinearizable(result.history);
  expect(
    verdict,
    `history of ${result.history.length} ops not linearizable; logs in ${c.dataRoot}`,
  ).toMatchObject({
    ok: true,
  });
  // every member, the restarted ones included, converges on the same applied index
  let applied: (number | undefined)[] = [];
  await waitFor(
    async () => {
      applied = await Promise.all(
        c.endpoints.map((ep) =>
          check.status(ep, 1000).then(
            (s) => s.appliedIndex,
            () => undefined,
          ),
        ),
      );
      return !applied.includes(undefined) && new Set(applied).size === 1;
    },
    { what: `every member to answer with the same applied index; logs in ${c.dataRoot}`, timeoutMs: 30_000 },
  );
  expect(applied.includes(undefined), `a member did not answer; logs in ${c.dataRoot}`).toBe(false);
  expect(new Set(applied).size).toBe(1);
  check.close();
}

describe("raft-kv processes", () => {
  it("3 members: kill -9 the leader under load, restart it; no acknowledged write lost", async () => {
    await killLeaderUnderLoad(3, 1);
  }, 180_000);

  it("5 members: kill -9 two leaders in a row under load, restart them; history linearizable", async () => {
    await killLeaderUnderLoad(5, 2);
  }, 180_000);
});
