// Seeded whole-cluster runs: a chaos phase (message loss, duplication, delay and reordering; symmetric,
// asymmetric and partial partitions; crashes, restarts; membership changes; client traffic), then healing,
// after which a leader must emerge and commit a client write within a bound. Safety is checked after every
// step, linearizability of the client history at the end. Every run is a pure function of its seed.
import { bootstrap } from "../bootstrap.js";
import { MemoryStorage } from "../memory-storage.js";
import { SeededRandom } from "../random.js";
import { type ClientOp, Cluster, type DriverBug } from "./cluster.js";
import { SafetyChecker, type Violation } from "./invariants.js";
import { checkLinearizable } from "./linearizability.js";
import { CALM, Network } from "./network.js";

export interface SimulationOptions {
  /** How many seeds to run (firstSeed, firstSeed+1, ...). Ignored when `seed` is given. */
  seeds?: number;
  firstSeed?: number;
  /** Run exactly this seed (a replay). */
  seed?: number;
  /** Ticks of faults before healing. Default 160. */
  chaosTicks?: number;
  /**
   * After healing, a client write must commit within this many ticks. Default: 20 election timeouts, at least
   * 200 ticks (seeds with pre-vote off can need several split votes: stale candidates keep resetting timers).
   */
  recoveryBoundTicks?: number;
  /** Inject a known driver bug, to show that the checks catch it. */
  bug?: DriverBug;
  /** Receives a trace of the run (faults, crashes, leaders); for replays. */
  log?: (line: string) => void;
}

export interface SeedOutcome {
  seed: number;
  violations: Violation[];
  voters: number;
  ticks: number;
  elections: number;
  committedEntries: number;
  messages: number;
  ops: number;
  unknownOps: number;
  crashes: number;
  confChanges: number;
  transfers: number;
  snapshotChunks: number;
  recoveryTicks: number;
}

export interface SimulationResult {
  seeds: number;
  violations: number;
  /** Seeds with at least one violation; replay one with `{ seed }`. */
  failedSeeds: number[];
  /** The first violations found (at most 20). */
  failures: Violation[];
  ticks: number;
  elections: number;
  committedEntries: number;
  messages: number;
  clientOps: number;
  unknownOps: number;
  crashes: number;
  confChanges: number;
  transfers: number;
  snapshotChunks: number;
  /** Worst ticks from healing to a committed client write. */
  maxRecoveryTicks: number;
  durationMs: number;
}

const KEYS = ["a", "b", "c"];

function pickPartition(rng: SeededRandom, ids: number[], leader: number | undefined, net: Network): string {
  net.heal();
  const r = rng.next();
  if (r < 0.35) return "none";
  if (r < 0.6) {
    // symmetric: a random split
    const a = ids.filter(() => rng.chance(0.5));
    net.partition([a, ids.filter((id) => !a.includes(id))]);
    return `split ${a.join(",")} | rest`;
  }
  if (r < 0.72 && leader !== undefined) {
    net.partition([[leader], ids.filter((id) => id !== leader)]);
    return `isolate leader ${leader}`;
  }
  if (r < 0.86) {
    // asymmetric: some one-way links cut
    for (const a of ids) for (const b of ids) if (a !== b && rng.chance(0.25)) net.cutLink(a, b);
    return `one-way cuts ${net.describeCuts()}`;
  }
  // partial: pairs that cannot talk to each other, while both still reach others
  for (const a of ids)
    for (const b of ids)
      if (a < b && rng.chance(0.3)) {
        net.cutLink(a, b);
        net.cutLink(b, a);
      }
  return `partial ${net.describeCuts()}`;
}

export function runSeed(seed: number, opts: SimulationOptions = {}): SeedOutcome {
  const log = opts.log ?? (() => {});
  const chaosTicks = opts.chaosTicks ?? 160;
  const rng = new SeededRandom(seed);
  const voters = rng.chance(0.5) ? 3 : 5;
  // settings drawn per seed; pre-vote and check-quorum are sometimes off (they are optimisations for
  // availability, safety must not depend on them)
  const raft = {
    electionTicks: rng.pick([6, 10, 10, 15]),
    heartbeatTicks: rng.pick([1, 1, 2]),
    maxSizePerMsgBytes: rng.pick([64, 512, 4096]),
    maxInflightMsgs: rng.pick([1, 4, 16]),
    snapshotChunkBytes: rng.pick([32, 256, 4096]),
    preVote: !rng.chance(0.15),
    checkQuorum: !rng.chance(0.15),
  };
  const ids = Array.from({ length: voters }, (_, i) => i + 1);
  log(`seed ${seed}: ${voters} voters, ${JSON.stringify(raft)}`);
  const bound = opts.recoveryBoundTicks ?? Math.max(200, 20 * raft.electionTicks);
  const net = new Network(rng);
  let cluster: Cluster | undefined;
  const checker = new SafetyChecker(seed, () => cluster?.tick ?? 0);
  cluster = new Cluster(
    seed,
    rng,
    net,
    checker,
    {
      raft,
      snapshotEveryEntries: 4 + rng.int(12),
      crashInReadyRate: 0.004,
      ...(opts.bug ? { bug: opts.bug } : {}),
    },
    log,
  );
  const c = cluster;
  for (const id of ids) {
    const storage = new MemoryStorage();
    bootstrap(storage, ids);
    c.addNode(id, storage);
  }
  let nextId = voters + 1;
  let crashes = 0;
  let confChanges = 0;
  let transfers = 0;
  const clients: (ClientOp | undefined)[] = [undefined, undefined, undefined];
  let recoveryTicks = 0;

  const clientStep = () => {
    for (let i = 0; i < clients.length; i++) {
      if (clients[i] && !clients[i]!.done) continue;
      if (!rng.chance(0.25)) continue;
      const alive = c.alive();
      if (alive.length === 0) return;
      const target = rng.chance(0.5) ? (c.leader() ?? rng.pick(alive)) : rng.pick(alive);
      const key = rng.pick(KEYS);
      const r = rng.next();
      const value = `v${seed}.${c.tick}.${i}`;
      const input =
        r < 0.4
          ? { type: "put" as const, value }
          : r < 0.8
            ? { type: "get" as const }
            : {
                type: "cas" as const,
                old: rng.chance(0.3) ? null : `v${seed}.${rng.int(c.tick + 1)}.${rng.int(3)}`,
                value,
              };
      clients[i] = c.invoke(target.id, key, input);
    }
  };

  const membershipStep = () => {
    const leader = c.leader();
    if (!leader) return;
    const conf = leader.raw!.confState();
    const learner = conf.learners.find((id) => !c.removed.has(id));
    let proposed = false;
    if (learner !== undefined)
      proposed = c.proposeConfChange(leader.id, { type: "addVoter", nodeId: learner });
    else if (conf.voters.length < 5 && rng.chance(0.5)) {
      const id = nextId++;
      c.addNode(id, new MemoryStorage());
      proposed = c.proposeConfChange(leader.id, { type: "addLearner", nodeId: id });
      if (!proposed) {
        c.crash(id, "never added");
        c.removed.add(id);
      }
    } else if (conf.voters.length > 3) {
      const victim = rng.pick(conf.voters.filter((id) => id !== leader.id));
      proposed = c.proposeConfChange(leader.id, { type: "removeNode", nodeId: victim });
    }
    if (proposed) confChanges++;
  };

  const fail = (err: unknown) => {
    const e = err as Error;
    checker.crash(`${e.name}: ${e.message} ${(e.stack ?? "").split("\n").slice(1, 3).join(" ").trim()}`);
  };

  try {
    // ---- chaos ----
    for (let t = 0; t < chaosTicks && checker.violations.length === 0; t++) {
      if (t % 25 === 0) {
        const live = [...c.nodes.keys()].filter((id) => !c.removed.has(id));
        net.faults = {
          lossRate: rng.pick([0, 0, 0.05, 0.2]),
          dupRate: rng.pick([0, 0.05, 0.1]),
          maxDelayTicks: rng.pick([1, 2, 4, 8]),
        };
        const p = pickPartition(rng, live, c.leader()?.id, net);
        log(
          `t${c.tick} faults loss=${net.faults.lossRate} dup=${net.faults.dupRate} delay≤${net.faults.maxDelayTicks} partition=${p}`,
        );
      }
      const alive = c.alive();
      const down = [...c.nodes.values()].filter((n) => !n.raw && !c.removed.has(n.id));
      if (rng.chance(0.01) && down.length < Math.floor((voters - 1) / 2) + 1 && alive.length > 0) {
        c.crash(rng.pick(alive).id, "scheduled");
        crashes++;
      }
      if (down.length > 0 && rng.chance(0.05)) c.restart(rng.pick(down).id);
      if (rng.chance(0.01)) membershipStep();
      if (rng.chance(0.005)) {
        // leadership transfer, asked at a random node (followers forward it)
        const leader = c.leader();
        const alive = c.alive();
        if (leader && alive.length > 0) {
          const target = rng.pick(leader.raw!.confState().voters);
          const at = rng.pick(alive);
          log(`t${c.tick} transfer leadership ${leader.id} → ${target} (asked at ${at.id})`);
          at.raw!.transferLeader(target);
          transfers++;
        }
      }
      clientStep();
      c.step();
      c.reapRemoved();
    }

    // ---- heal: every link up, no faults, every (non-removed) node running; then a write must commit ----
    net.heal();
    net.faults = CALM;
    for (const n of c.nodes.values()) if (!n.raw && !c.removed.has(n.id)) c.restart(n.id);
    c.stopReadyCrashes();
    log(`t${c.tick} healed`);
    for (const n of c.alive()) log(`  ${JSON.stringify({ ...n.raw!.status(), progress: undefined })}`);
    const healedAt = c.tick;
    let probe: ClientOp | undefined;
    let committed = false;
    while (checker.violations.length === 0 && c.tick - healedAt < bound) {
      c.step();
      c.reapRemoved();
      if (probe?.done && probe.output) {
        committed = true;
        break;
      }
      if ((c.tick - healedAt) % 50 === 0)
        for (const n of c.alive()) log(`  ${JSON.stringify(n.raw!.status())}`);
      if (!probe || probe.done) {
        const leader = c.leader();
        if (leader) probe = c.invoke(leader.id, "probe", { type: "put", value: `probe${c.tick}` });
      }
    }
    recoveryTicks = c.tick - healedAt;
    if (!committed && checker.violations.length === 0)
      checker.liveness(
        `no client write committed within ${bound} ticks of healing (leader: ${c.leader()?.id ?? "none"})`,
      );
    // let outstanding operations finish
    for (let t = 0; t < 40 && checker.violations.length === 0; t++) c.step();
  } catch (err) {
    fail(err);
  }

  const history = c.finishedHistory();
  if (checker.violations.length === 0) {
    const lin = checkLinearizable(history);
    if (!lin.ok) checker.linearizability(`key ${lin.key}: ${lin.ops} operations are not linearizable`);
  }
  return {
    seed,
    violations: checker.violations,
    voters,
    ticks: c.tick,
    elections: checker.elections,
    committedEntries: checker.committedCount(),
    messages: net.sent,
    ops: history.length,
    unknownOps: history.filter((op) => op.output === undefined).length,
    crashes,
    confChanges,
    transfers,
    snapshotChunks: net.snapshotChunks,
    recoveryTicks,
  };
}

/** Runs many seeds (or one, to replay it) and sums up. */
export function runSimulation(opts: SimulationOptions = {}): SimulationResult {
  const started = performance.now();
  const seeds =
    opts.seed !== undefined
      ? [opts.seed]
      : Array.from({ length: opts.seeds ?? 100 }, (_, i) => (opts.firstSeed ?? 1) + i);
  const res: SimulationResult = {
    seeds: seeds.length,
    violations: 0,
    failedSeeds: [],
    failures: [],
    ticks: 0,
    elections: 0,
    committedEntries: 0,
    messages: 0,
    clientOps: 0,
    unknownOps: 0,
    crashes: 0,
    confChanges: 0,
    transfers: 0,
    snapshotChunks: 0,
    maxRecoveryTicks: 0,
    durationMs: 0,
  };
  for (const seed of seeds) {
    const o = runSeed(seed, opts);
    res.violations += o.violations.length;
    if (o.violations.length > 0) res.failedSeeds.push(seed);
    for (const v of o.violations) if (res.failures.length < 20) res.failures.push(v);
    res.ticks += o.ticks;
    res.elections += o.elections;
    res.committedEntries += o.committedEntries;
    res.messages += o.messages;
    res.clientOps += o.ops;
    res.unknownOps += o.unknownOps;
    res.crashes += o.crashes;
    res.confChanges += o.confChanges;
    res.transfers += o.transfers;
    res.snapshotChunks += o.snapshotChunks;
    res.maxRecoveryTicks = Math.max(res.maxRecoveryTicks, o.recoveryTicks);
  }
  res.durationMs = Math.round(performance.now() - started);
  return res;
}
