import { describe, expect, it } from "vitest";
import { bootstrap } from "./bootstrap.js";
import { RaftConfigError } from "./errors.js";
import { MemoryStorage } from "./memory-storage.js";
import type { Message } from "./message.js";
import { SeededRandom } from "./random.js";
import { RawNode, type Ready } from "./raw-node.js";

const enc = new TextEncoder();

function node(id: number, voters: number[], seed = id): { n: RawNode; s: MemoryStorage } {
  const s = new MemoryStorage();
  bootstrap(s, voters);
  const n = new RawNode({ id, storage: s, random: new SeededRandom(seed) });
  handle(n, s); // apply the bootstrap conf entries
  return { n, s };
}

/** Persists and advances one Ready; returns it. */
function handle(n: RawNode, s: MemoryStorage): Ready {
  const rd = n.ready();
  if (rd.snapshot) s.applySnapshot(rd.snapshot);
  s.append(rd.entries);
  if (rd.hardState) s.setHardState(rd.hardState);
  n.advance();
  return rd;
}

const types = (ms: Message[]) => ms.map((m) => `${m.type}->${m.to}`);

describe("RawNode", () => {
  it("refuses configurations that cannot work", () => {
    const storage = new MemoryStorage();
    const random = new SeededRandom(1);
    expect(() => new RawNode({ id: 0, storage, random })).toThrow(RaftConfigError);
    expect(() => new RawNode({ id: 1, storage, random, electionTicks: 3, heartbeatTicks: 3 })).toThrow(
      RaftConfigError,
    );
  });

  it("campaigns after a randomised timeout in [electionTicks, 2·electionTicks), the same for the same seed", () => {
    const ticksToCampaign = (seed: number) => {
      const { n } = node(1, [1, 2, 3], seed);
      for (let t = 1; t <= 40; t++) {
        n.tick();
        if (n.role !== "follower") return t;
      }
      return -1;
    };
    const runs = [1, 2, 3, 4, 5, 6, 7, 8].map(ticksToCampaign);
    for (const t of runs) expect(t >= 10 && t < 20).toBe(true);
    expect(ticksToCampaign(3)).toBe(runs[2]);
    expect(new Set(runs).size).toBeGreaterThan(1);
  });

  it("holds votes and acknowledgements until the Ready is persisted; a leader's appends go at once", () => {
    const a = node(1, [1, 2, 3]);
    const b = node(2, [1, 2, 3]);
    a.n.campaign(); // only a leader's replication traffic leaves before persistence; everything else waits
    let rd = handle(a.n, a.s);
    expect(rd.messages).toEqual([]);
    expect(types(rd.persistedMessages)).toEqual(["preVote->2", "preVote->3"]);
    b.n.step(rd.persistedMessages[0]!);
    rd = handle(b.n, b.s);
    expect(types(rd.persistedMessages)).toEqual(["preVoteResp->1"]);
    a.n.step(rd.persistedMessages[0]!);
    rd = handle(a.n, a.s); // candidate: term and self-vote must be durable before the requests leave
    expect(rd.hardState).toMatchObject({ term: 2, vote: 1 });
    expect(rd.mustSync).toBe(true);
    expect(types(rd.persistedMessages)).toEqual(["vote->2", "vote->3"]);
    b.n.step(rd.persistedMessages[0]!);
    rd = handle(b.n, b.s);
    expect(rd.hardState).toMatchObject({ term: 2, vote: 1 });
    expect(types(rd.persistedMessages)).toEqual(["voteResp->1"]);
    expect(rd.messages).toEqual([]);
    a.n.step(rd.persistedMessages[0]!);
    rd = handle(a.n, a.s);
    expect(rd.softState).toEqual({ leaderId: 1, role: "leader" });
    expect(types(rd.messages)).toEqual(["app->2", "app->3"]);
    b.n.step(rd.messages[0]!);
    rd = handle(b.n, b.s);
    expect(types(rd.persistedMessages)).toEqual(["appResp->1"]);
  });

  it("a leader counts its own entry only once it is persisted", () => {
    const { n, s } = node(1, [1]);
    n.campaign();
    handle(n, s); // becomes leader, appends its no-op
    let rd = handle(n, s);
    n.propose(enc.encode("x"));
    rd = n.ready();
    expect(rd.entries.map((e) => e.type)).toEqual(["normal"]);
    expect(rd.committedEntries).toEqual([]);
    s.append(rd.entries);
    if (rd.hardState) s.setHardState(rd.hardState);
    n.advance();
    rd = handle(n, s);
    expect(rd.committedEntries.map((e) => new TextDecoder().decode(e.data))).toEqual(["x"]);
    expect(rd.hardState?.commit).toBe(rd.committedEntries[0]?.index);
    expect(rd.mustSync).toBe(false); // a commit-only change need not be fsynced
  });

  it("appends a batch of proposals together and replicates it in one message", () => {
    const a = node(1, [1, 2]);
    a.n.campaign();
    let rd = handle(a.n, a.s);
    const b = node(2, [1, 2]);
    for (const m of rd.persistedMessages) b.n.step(m); // pre-vote
    for (const m of handle(b.n, b.s).persistedMessages) a.n.step(m);
    for (const m of handle(a.n, a.s).persistedMessages) b.n.step(m); // vote
    for (const m of handle(b.n, b.s).persistedMessages) a.n.step(m);
    rd = handle(a.n, a.s);
    expect(a.n.role).toBe("leader");
    for (const m of rd.messages) b.n.step(m); // the no-op
    for (const m of handle(b.n, b.s).persistedMessages) a.n.step(m);
    handle(a.n, a.s);
    a.n.proposeBatch(["x", "y", "z"].map((d) => enc.encode(d)));
    rd = handle(a.n, a.s);
    expect(rd.entries.length).toBe(3);
    const apps = rd.messages.filter((m) => m.type === "app" && (m.entries?.length ?? 0) > 0);
    expect(apps.map((m) => m.entries?.length)).toEqual([3]);
  });

  it("campaigns at the next tick once the leader's connection closed, and votes inside the lease then", () => {
    const b = node(2, [1, 2, 3]);
    const c = node(3, [1, 2, 3]);
    for (const x of [b, c]) {
      x.n.step({ type: "heartbeat", from: 1, to: x.n.id, term: 2 });
      handle(x.n, x.s);
      expect(x.n.status()).toMatchObject({ role: "follower", leaderId: 1 });
    }
    expect(b.n.leaderConnectionLost(3)).toBe(false); // not the leader: nothing changes
    b.n.tick();
    expect(b.n.role).toBe("follower");
    // a voter inside its lease ignores a pre-vote (the leader may well be alive)
    const preVote = { type: "preVote" as const, from: 2, to: 3, term: 3, index: 3, logTerm: 1 };
    c.n.step(preVote);
    expect(handle(c.n, c.s).persistedMessages).toEqual([]);
    // the leader's connection closed on both: b campaigns at its next tick, c's lease is over
    expect(b.n.leaderConnectionLost(1)).toBe(true);
    expect(c.n.leaderConnectionLost(1)).toBe(true);
    b.n.tick();
    expect(b.n.role).toBe("preCandidate");
    const asks = handle(b.n, b.s).persistedMessages;
    expect(types(asks)).toEqual(["preVote->1", "preVote->3"]);
    c.n.step(asks[1]!);
    const answers = handle(c.n, c.s).persistedMessages;
    expect(answers.map((m) => [m.type, m.reject ?? false])).toEqual([["preVoteResp", false]]);
  });

  it("a false alarm costs nothing: the live leader's next heartbeat makes the pre-candidate follow again", () => {
    const b = node(2, [1, 2, 3]);
    b.n.step({ type: "heartbeat", from: 1, to: 2, term: 2 });
    handle(b.n, b.s);
    b.n.leaderConnectionLost(1);
    b.n.tick();
    expect(b.n.role).toBe("preCandidate");
    expect(b.n.term).toBe(2); // a pre-vote changes no term
    b.n.step({ type: "heartbeat", from: 1, to: 2, term: 2 });
    handle(b.n, b.s);
    expect(b.n.status()).toMatchObject({ role: "follower", leaderId: 1, term: 2 });
  });

  it("a new leader counts its voters as active for check-quorum's first window, not for the next", () => {
    const a = node(1, [1, 2, 3], 1);
    const b = node(2, [1, 2, 3], 2);
    a.n.campaign();
    for (const m of handle(a.n, a.s).persistedMessages.filter((m) => m.to === 2)) b.n.step(m);
    for (const m of handle(b.n, b.s).persistedMessages) a.n.step(m); // pre-vote granted
    for (const m of handle(a.n, a.s).persistedMessages.filter((m) => m.to === 2)) b.n.step(m);
    for (const m of handle(b.n, b.s).persistedMessages) a.n.step(m); // vote granted
    handle(a.n, a.s);
    expect(a.n.role).toBe("leader");
    // b never answers again: the first window passes on its vote, the second ends the leadership
    for (let t = 0; t < 10; t++) a.n.tick();
    expect(a.n.role).toBe("leader");
    for (let t = 0; t < 10; t++) a.n.tick();
    expect(a.n.role).toBe("follower");
  });

  it("drops a forwarded proposal silently, but reports a local one", () => {
    const { n } = node(2, [1, 2, 3]);
    expect(() => n.propose(enc.encode("x"))).toThrow(/no-leader/);
    n.step({
      type: "prop",
      from: 3,
      to: 2,
      term: 0,
      entries: [{ index: 0, term: 0, type: "normal", data: enc.encode("y") }],
    });
    n.step({
      type: "prop",
      from: 2,
      to: 2,
      term: 0,
      entries: [{ index: 0, term: 0, type: "normal", data: enc.encode("z") }],
    });
    expect(n.hasReady()).toBe(false);
  });

  it("insists on ready → advance pairs and on messages for itself", () => {
    const { n } = node(1, [1, 2, 3]);
    expect(() => n.advance()).toThrow(/without a ready/);
    n.ready();
    expect(() => n.ready()).toThrow(/before advance/);
    n.advance();
    expect(() => n.step({ type: "heartbeat", from: 2, to: 3, term: 1 })).toThrow(/for 3/);
  });

  it("reports status, membership and the leader's view of progress", () => {
    const { n, s } = node(1, [1]);
    n.campaign();
    handle(n, s);
    handle(n, s);
    const st = n.status();
    expect(st).toMatchObject({
      id: 1,
      role: "leader",
      term: 2,
      leaderId: 1,
      commitIndex: 2,
      appliedIndex: 2,
    });
    expect(st.conf).toEqual({ voters: [1], learners: [] });
    expect(st.progress?.[1]).toMatchObject({ match: 2, state: "replicate" });
    expect(n.confState()).toEqual({ voters: [1], learners: [] });
  });
});
