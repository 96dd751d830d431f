// The region state machine under a deterministic Raft simulation: three RawNodes on MemoryStorage, a seeded
// network that loses, delays and partitions, crashes and restarts, snapshots with log compaction. Checks
// (1) every member that applied index i holds byte-identical state at i (verdicts, plans, acks), on every
// schedule; (2) devices that obey the fencing rule never accept a deposed leader's command once they have
// obeyed its successor; (3) after healing every member converges to the same state.
import { createHash } from "node:crypto";
import { bootstrap, MemoryStorage, type Message, RawNode, SeededRandom } from "@qonnect/raft";
import { describe, expect, it } from "vitest";
import {
  compareTokens,
  encodeRegionCommand,
  type FencingToken,
  type RegionCommand,
} from "./region-command.js";
import { RegionStateMachine } from "./region-state.js";

const IDS = [1, 2, 3];
const DEVICES = ["d1", "d2", "d3", "d4"];

interface Member {
  id: number;
  storage: MemoryStorage;
  raw: RawNode | undefined;
  sm: RegionStateMachine;
  applied: number;
  restarts: number;
}

function runSeed(
  seed: number,
  ticks: number,
): { divergences: string[]; staleAccepted: string[]; final: string[] } {
  const rng = new SeededRandom(seed);
  const members = new Map<number, Member>();
  const inFlight: { at: number; m: Message }[] = [];
  const commandsInFlight: { at: number; device: string; token: FencingToken; from: number }[] = [];
  const held = new Map<string, FencingToken>(DEVICES.map((d) => [d, { term: 0, planVersion: 0 }]));
  const hashAt = new Map<number, string>();
  const issued = new Map<string, string>();
  const divergences: string[] = [];
  const staleAccepted: string[] = [];
  let partition: Set<number> | undefined;
  let lossRate = 0.05;
  let proposal = 0;

  const boot = (m: Member) => {
    const snap = m.storage.snapshot();
    m.sm = new RegionStateMachine();
    m.sm.restore(snap.data);
    m.applied = snap.meta.index;
    m.raw = new RawNode({
      id: m.id,
      storage: m.storage,
      random: new SeededRandom(seed * 31 + m.id * 101 + m.restarts),
      electionTicks: 10,
      heartbeatTicks: 1,
      applied: snap.meta.index,
    });
  };
  for (const id of IDS) {
    const storage = new MemoryStorage();
    bootstrap(storage, IDS);
    const m: Member = { id, storage, raw: undefined, sm: new RegionStateMachine(), applied: 0, restarts: 0 };
    boot(m);
    members.set(id, m);
  }
  const cut = (a: number, b: number) => partition !== undefined && partition.has(a) !== partition.has(b);

  const process = (m: Member, tick: number) => {
    for (let i = 0; i < 4 && m.raw?.hasReady(); i++) {
      const raw = m.raw;
      const rd = raw.ready();
      const send = (msgs: Message[]) => {
        for (const msg of msgs)
          if (!rng.chance(lossRate) && !cut(msg.from, msg.to))
            inFlight.push({ at: tick + 1 + rng.int(3), m: msg });
      };
      send(rd.messages);
      if (rd.snapshot) {
        m.storage.applySnapshot(rd.snapshot);
        m.sm.restore(rd.snapshot.data);
        m.applied = rd.snapshot.meta.index;
      }
      if (rd.entries.length) m.storage.append(rd.entries);
      if (rd.hardState) m.storage.setHardState(rd.hardState);
      send(rd.persistedMessages);
      for (const e of rd.committedEntries) {
        if (e.index <= m.applied) continue;
        m.applied = e.index;
        if (e.type === "normal" && e.data.length > 0) m.sm.apply(e.data);
        const h = createHash("sha256").update(m.sm.snapshot()).digest("hex");
        const seen = hashAt.get(e.index);
        if (seen === undefined) hashAt.set(e.index, h);
        else if (seen !== h) divergences.push(`seed ${seed}: member ${m.id} differs at index ${e.index}`);
      }
      raw.advance();
      if (m.applied - m.storage.snapshot().meta.index >= 40)
        m.storage.createSnapshot(m.applied, raw.confState(), m.sm.snapshot());
    }
  };

  const leaderActs = (m: Member, tick: number) => {
    const raw = m.raw!;
    const sm = m.sm;
    const device = DEVICES[rng.int(DEVICES.length)]!;
    const r = rng.next();
    let cmd: RegionCommand;
    if (r < 0.15)
      cmd = {
        t: "register",
        device: {
          name: device,
          site: `s${rng.int(2)}`,
          tier: "edge",
          arch: "amd64",
          cpuCores: 4,
          memoryBytes: 1e9,
          gpus: 0,
          labels: {},
        },
        tsMs: tick,
      };
    else if (r < 0.45) {
      const verdicts = ["alive", "suspect", "dead", "unreachable"] as const;
      cmd = {
        t: "verdicts",
        changes: [{ device, verdict: verdicts[rng.int(4)]!, reason: `t${tick}` }],
        tsMs: tick,
      };
    } else if (r < 0.65)
      cmd = {
        t: "plan",
        planId: `p-${seed}-${tick}-${m.id}`,
        basePlanVersion: sm.planVersion,
        origin: rng.chance(0.5) ? "kb" : "local",
        placements: [{ app: "a", service: "s", replica: 0, device }],
        moves: [
          { app: "a", service: "s", replica: 0, fromDevice: "", toDevice: device, reason: "new", tsMs: tick },
        ],
        tsMs: tick,
      };
    else {
      // the leader commands a device with its token; the ack is recorded through the log
      const token = { term: raw.term, planVersion: sm.planVersion };
      // one token names one plan: two leaders (or one leader twice) never send the same token for different plans
      const key = `${token.term}:${token.planVersion}`;
      const planId = sm.plan?.planId ?? "";
      const before = issued.get(key);
      if (before !== undefined && before !== planId)
        staleAccepted.push(`token ${key} named ${before} and ${planId}`);
      issued.set(key, planId);
      commandsInFlight.push({ at: tick + 1 + rng.int(15), device, token, from: m.id });
      const h = held.get(device)!;
      cmd = {
        t: "ack",
        device,
        planVersion: sm.planVersion,
        phase: rng.chance(0.5) ? "make" : "break",
        token,
        accepted: compareTokens(token, h) >= 0,
        heldToken: h,
        workloads: [],
        tsMs: tick,
      };
    }
    try {
      raw.propose(encodeRegionCommand(`${m.id}-${proposal++}`, cmd));
    } catch {
      // dropped (leadership transfer, ...): the proposer would time out
    }
  };

  for (let tick = 1; tick <= ticks; tick++) {
    const healing = tick > ticks - 400;
    if (healing) {
      partition = undefined;
      lossRate = 0;
      for (const m of members.values()) if (!m.raw) boot(m);
    }
    for (const f of inFlight.filter((f) => f.at <= tick)) {
      const to = members.get(f.m.to);
      if (to?.raw && !cut(f.m.from, f.m.to)) to.raw.step(f.m);
    }
    for (let i = inFlight.length - 1; i >= 0; i--) if (inFlight[i]!.at <= tick) inFlight.splice(i, 1);
    for (const c of commandsInFlight.filter((c) => c.at <= tick)) {
      const h = held.get(c.device)!;
      if (compareTokens(c.token, h) >= 0) {
        // the rule the agents implement: once term T is held, nothing of a lower term is obeyed
        if (c.token.term < h.term)
          staleAccepted.push(`${c.device} accepted term ${c.token.term} after ${h.term}`);
        held.set(c.device, c.token);
      }
    }
    for (let i = commandsInFlight.length - 1; i >= 0; i--)
      if (commandsInFlight[i]!.at <= tick) commandsInFlight.splice(i, 1);
    for (const m of members.values()) process(m, tick);
    for (const m of members.values()) m.raw?.tick();
    for (const m of members.values()) process(m, tick);
    const quiet = tick > ticks - 200;
    for (const m of members.values())
      if (!quiet && m.raw?.role === "leader" && rng.chance(0.3)) leaderActs(m, tick);
    if (!healing) {
      if (rng.chance(0.004)) partition = new Set([IDS[rng.int(3)]!]);
      if (partition && rng.chance(0.01)) partition = undefined;
      if (rng.chance(0.003)) {
        const victim = members.get(IDS[rng.int(3)]!)!;
        victim.raw = undefined;
      }
      for (const m of members.values())
        if (!m.raw && rng.chance(0.02)) {
          m.restarts++;
          boot(m);
        }
    }
  }
  const final = [...members.values()].map(
    (m) => `${m.applied}:${createHash("sha256").update(m.sm.snapshot()).digest("hex")}`,
  );
  return { divergences, staleAccepted, final };
}

describe("region state machine under the deterministic Raft simulation", () => {
  it("every member holds identical verdicts, plans and acks at every index, across loss, partitions and crashes", () => {
    let applied = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const r = runSeed(seed, 1500);
      expect(r.divergences).toEqual([]);
      expect(r.staleAccepted).toEqual([]);
      // healed: every member applied the same log and holds the same state
      expect(new Set(r.final).size).toBe(1);
      applied += Number(r.final[0]!.split(":")[0]);
    }
    // the schedules did real work
    expect(applied).toBeGreaterThan(12 * 50);
  });
});
