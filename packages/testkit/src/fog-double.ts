// A faithful double of the fog region's side of the Knowledge Base contract (proto/qonnect/fog/v1/fog.proto),
// for testing the Knowledge Base before and apart from the real fog leads: real gRPC servers implementing
// FogLead (one leader, followers that answer UNAVAILABLE with the leader in `qonnect-leader`), plan versions
// assigned by the leader, idempotency by plan_id, FAILED_PRECONDITION (with `qonnect-plan-version`) for a
// plan computed from an old version, local re-plans, and RegionSummary messages on real NATS, split into
// numbered parts when asked. It is a stand-in: no Raft, no devices, no commands.
import * as grpc from "@grpc/grpc-js";
import { fogV1 } from "@qonnect/proto";
import { connect, type NatsConnection } from "nats";

export interface FogDoubleOptions {
  region: string;
  /** Number of members (FogLead servers). Default 1. */
  members?: number;
  /** The member that leads (0-based). Default 0. */
  leader?: number;
  /** Keep only the newest this many entries of `applied` (benchmarks). Default: all. */
  keepApplied?: number;
  /** Called for every plan the leader commits (benchmarks time arrivals with it). */
  onApply?: (request: fogV1.ApplyPlanRequest, atMs: number) => void;
}

type Device = Partial<fogV1.DeviceState> & { name: string };

export interface FogDouble {
  region: string;
  /** FogLead addresses of the members, in member order. */
  addresses: string[];
  /** Every ApplyPlan the leader accepted (duplicates included, flagged). */
  applied: { request: fogV1.ApplyPlanRequest; planVersion: number; duplicate: boolean; atMs: number }[];
  /** ApplyPlan calls refused (follower, stale base). */
  refused: { member: number; code: grpc.status; planId: string }[];
  state(): fogV1.RegionState;
  setLeader(member: number): void;
  setDevice(device: Device): void;
  /** A re-plan the leader made alone (the Knowledge Base away). */
  localReplan(placements: fogV1.Placement[], reason: string): number;
  /** Publishes one RegionSummary (in `parts` parts) on NATS. */
  publishSummary(parts?: number): Promise<void>;
  /** Every member stops answering (the region is cut off); `resume` brings them back on the same ports. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFogDouble(options: FogDoubleOptions & { natsUrl?: string }): Promise<FogDouble> {
  const region = options.region;
  const count = options.members ?? 1;
  let leader = options.leader ?? 0;
  let planVersion = 0;
  let planId = "";
  let term = 1;
  let seq = 0;
  let placements: fogV1.Placement[] = [];
  const recentMoves: fogV1.PlanMove[] = [];
  const devices = new Map<string, Device>();
  const committed = new Map<string, number>();
  const applied: FogDouble["applied"] = [];
  const refused: FogDouble["refused"] = [];
  const nc: NatsConnection | undefined = options.natsUrl
    ? await connect({ servers: options.natsUrl })
    : undefined;

  const deviceState = (d: Device): fogV1.DeviceState =>
    fogV1.DeviceState.fromPartial({
      site: "",
      tier: "",
      arch: "",
      verdict: fogV1.Verdict.VERDICT_ALIVE,
      ...d,
    });
  const state = (): fogV1.RegionState => ({
    region,
    leaderId: leader + 1,
    term,
    commitIndex: planVersion,
    planVersion,
    planId,
    placements: [...placements],
    devices: [...devices.values()].map(deviceState),
    members: addresses.map((a, i) => ({
      id: i + 1,
      raftAddress: "",
      fogAddress: a,
      learner: false,
      leader: i === leader,
    })),
    recentMoves: recentMoves.slice(-50),
    planInProgress: false,
  });

  const handlers = (member: number): fogV1.FogLeadServer => {
    const notLeader = (cb: (e: Partial<grpc.StatusObject>) => void, id: string) => {
      const metadata = new grpc.Metadata();
      metadata.set("qonnect-leader", addresses[leader]!);
      refused.push({ member, code: grpc.status.UNAVAILABLE, planId: id });
      cb({ code: grpc.status.UNAVAILABLE, details: `not the leader; try ${addresses[leader]}`, metadata });
    };
    return {
      applyPlan(call, cb) {
        const req = call.request;
        if (member !== leader) return notLeader(cb, req.planId);
        const seen = committed.get(req.planId);
        if (seen !== undefined) {
          applied.push({ request: req, planVersion: seen, duplicate: true, atMs: Date.now() });
          return cb(null, { planVersion: seen, duplicate: true, term, leaderId: leader + 1 });
        }
        if (req.basePlanVersion < planVersion) {
          const metadata = new grpc.Metadata();
          metadata.set("qonnect-plan-version", String(planVersion));
          refused.push({ member, code: grpc.status.FAILED_PRECONDITION, planId: req.planId });
          return cb({
            code: grpc.status.FAILED_PRECONDITION,
            details: `region ${region} is at plan version ${planVersion}, not ${req.basePlanVersion}`,
            metadata,
          });
        }
        planVersion++;
        planId = req.planId;
        placements = req.placements;
        for (const m of req.moves) recentMoves.push({ ...m, planVersion, origin: "kb" });
        committed.set(req.planId, planVersion);
        const atMs = Date.now();
        applied.push({ request: req, planVersion, duplicate: false, atMs });
        if (options.keepApplied !== undefined && applied.length > options.keepApplied)
          applied.splice(0, applied.length - options.keepApplied);
        options.onApply?.(req, atMs);
        cb(null, { planVersion, duplicate: false, term, leaderId: leader + 1 });
      },
      getRegion(call, cb) {
        if (call.request.region !== region)
          return cb({ code: grpc.status.NOT_FOUND, details: `this is region ${region}` });
        cb(null, { region: state() });
      },
      watchRegion(call) {
        call.write({ event: { tsMs: Date.now(), event: { $case: "snapshot", value: state() } } });
        call.end();
      },
      transferLeadership(call, cb) {
        leader = Math.max(0, Number(call.request.toId) - 1) % count;
        term++;
        cb(null, { leaderId: leader + 1, term });
      },
      addMember(_call, cb) {
        cb({ code: grpc.status.UNIMPLEMENTED, details: "the fog double has fixed members" });
      },
      removeMember(_call, cb) {
        cb({ code: grpc.status.UNIMPLEMENTED, details: "the fog double has fixed members" });
      },
    };
  };

  let servers: grpc.Server[] = [];
  const ports: number[] = new Array(count).fill(0);
  const addresses: string[] = [];
  const listen = async () => {
    servers = [];
    for (let i = 0; i < count; i++) {
      const s = new grpc.Server();
      s.addService(fogV1.FogLeadService, handlers(i));
      ports[i] = await new Promise<number>((resolve, reject) =>
        s.bindAsync(`127.0.0.1:${ports[i]}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      addresses[i] = `127.0.0.1:${ports[i]}`;
      servers.push(s);
    }
  };
  const shutdown = async () => {
    for (const s of servers) s.forceShutdown();
    servers = [];
  };
  await listen();

  return {
    region,
    addresses,
    applied,
    refused,
    state,
    setLeader(member) {
      leader = member;
      term++;
    },
    setDevice(d) {
      devices.set(d.name, { ...(devices.get(d.name) ?? {}), ...d });
    },
    localReplan(next, reason) {
      planVersion++;
      planId = `local-${planVersion}`;
      const before = new Map(placements.map((p) => [`${p.app}/${p.service}/${p.replica}`, p.device]));
      for (const p of next) {
        const from = before.get(`${p.app}/${p.service}/${p.replica}`) ?? "";
        if (from !== p.device)
          recentMoves.push({
            planVersion,
            app: p.app,
            service: p.service,
            replica: p.replica,
            fromDevice: from,
            toDevice: p.device,
            reason,
            tsMs: Date.now(),
            origin: "local",
          });
      }
      placements = next;
      return planVersion;
    },
    async publishSummary(parts = 1) {
      if (!nc) throw new Error("start the fog double with natsUrl to publish summaries");
      seq++;
      const all = [...devices.values()].map(deviceState);
      const per = Math.ceil(all.length / parts) || 1;
      for (let part = 1; part <= parts; part++) {
        const msg: fogV1.RegionSummary = {
          region,
          leaderId: leader + 1,
          term,
          tsMs: Date.now(),
          seq,
          part,
          parts,
          planVersion,
          planId,
          devices: all.slice((part - 1) * per, part * per),
          placements: part === 1 ? placements : [],
          recentMoves: part === 1 ? recentMoves.slice(-50) : [],
        };
        nc.publish(`qonnect.${region}.summary`, fogV1.RegionSummary.encode(msg).finish());
      }
      await nc.flush();
    },
    pause: shutdown,
    resume: listen,
    async stop() {
      await shutdown();
      await nc?.close();
    },
  };
}
