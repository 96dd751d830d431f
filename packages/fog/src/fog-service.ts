// qonnect.fog.v1.FogLead on every member. Writes go to the leader: a follower answers UNAVAILABLE with the
// leader's address in the `qonnect-leader` trailer. ApplyPlan is idempotent by plan_id and refuses a plan
// computed from an older region picture with FAILED_PRECONDITION (`qonnect-plan-version` trailer).
import * as grpc from "@grpc/grpc-js";
import { fogV1 } from "@qonnect/proto";
import type { RegionCommand } from "./region-command.js";
import type { RegionResult, RegionStateMachine } from "./region-state.js";

export const LEADER_METADATA = "qonnect-leader";
export const PLAN_VERSION_METADATA = "qonnect-plan-version";

/** What the service needs from the running member. */
export interface FogServiceHost {
  region: string;
  sm: RegionStateMachine;
  isLeader(): boolean;
  leaderAddress(): string | undefined;
  term(): number;
  leaderId(): number;
  propose(cmd: RegionCommand): Promise<RegionResult>;
  regionState(): fogV1.RegionState;
  transfer(toId: number): Promise<{ leaderId: number; term: number }>;
  changeMember(req: {
    id: number;
    learner: boolean;
    remove: boolean;
    raftAddress: string;
    fogAddress: string;
  }): Promise<fogV1.Member[]>;
  /** Subscribes to region events; returns the unsubscribe function. */
  watch(listener: (e: fogV1.RegionEvent) => void): () => void;
  nowMs(): number;
}

type Fail = Partial<grpc.StatusObject>;

function notLeader(host: FogServiceHost): Fail {
  const metadata = new grpc.Metadata();
  const addr = host.leaderAddress();
  if (addr) metadata.set(LEADER_METADATA, addr);
  return {
    code: grpc.status.UNAVAILABLE,
    details: addr ? `not the leader; the leader is at ${addr}` : "no leader right now; retry shortly",
    metadata,
  };
}

function failure(err: unknown): Fail {
  if (err && typeof err === "object" && "code" in err && typeof (err as Fail).code === "number")
    return err as Fail;
  const name = (err as Error)?.name ?? "";
  if (name === "NotLeaderError") return { code: grpc.status.UNAVAILABLE, details: (err as Error).message };
  if (name === "OverloadedError")
    return { code: grpc.status.RESOURCE_EXHAUSTED, details: (err as Error).message };
  return { code: grpc.status.UNKNOWN, details: `outcome unknown: ${(err as Error)?.message ?? err}` };
}

export function fogService(host: FogServiceHost): {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
} {
  const impl: fogV1.FogLeadServer = {
    applyPlan: (call, cb) => {
      const r = call.request;
      if (r.region !== host.region)
        return cb({
          code: grpc.status.INVALID_ARGUMENT,
          details: `this is region ${host.region}, not ${r.region}`,
        });
      if (!r.planId) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "plan_id is required" });
      if (!host.isLeader()) return cb(notLeader(host));
      const known = host.sm.planVersionOf(r.planId);
      if (known !== undefined)
        return cb(null, {
          planVersion: known,
          duplicate: true,
          term: host.term(),
          leaderId: host.leaderId(),
        });
      host
        .propose({
          t: "plan",
          planId: r.planId,
          basePlanVersion: r.basePlanVersion,
          origin: "kb",
          placements: r.placements.map((p) => ({ ...p })),
          ...(r.context
            ? {
                context: {
                  inventoryJson: r.context.inventoryJson,
                  applications: r.context.applications.map((a) => ({ ...a })),
                  signals: r.context.signals.map((s) => ({
                    zone: s.zone,
                    intensityGPerKWh: s.intensityGPerKwh,
                    pricePerKWh: s.pricePerKwh,
                    tsMs: s.tsMs,
                  })),
                },
              }
            : {}),
          moves: r.moves.map((m) => ({
            app: m.app,
            service: m.service,
            replica: m.replica,
            fromDevice: m.fromDevice,
            toDevice: m.toDevice,
            reason: m.reason,
            tsMs: m.tsMs || r.tsMs,
          })),
          tsMs: host.nowMs(),
        })
        .then(
          (res) => {
            if (res.kind === "plan")
              return cb(null, {
                planVersion: res.planVersion,
                duplicate: res.duplicate,
                term: host.term(),
                leaderId: host.leaderId(),
              });
            if (res.kind === "stale") {
              const metadata = new grpc.Metadata();
              metadata.set(PLAN_VERSION_METADATA, String(res.currentVersion));
              return cb({
                code: grpc.status.FAILED_PRECONDITION,
                details: `base plan version ${r.basePlanVersion} is stale: the region is at ${res.currentVersion}; read it with GetRegion and re-plan`,
                metadata,
              });
            }
            cb({ code: grpc.status.INTERNAL, details: `plan not applied: ${JSON.stringify(res)}` });
          },
          (err) => cb(failure(err)),
        );
    },
    getRegion: (call, cb) => {
      if (call.request.region && call.request.region !== host.region)
        return cb({ code: grpc.status.NOT_FOUND, details: `this is region ${host.region}` });
      cb(null, { region: host.regionState() });
    },
    watchRegion: (call) => {
      if (call.request.region && call.request.region !== host.region) {
        call.destroy({
          name: "NotFound",
          message: `this is region ${host.region}`,
          code: grpc.status.NOT_FOUND,
        } as grpc.ServiceError);
        return;
      }
      call.write({ event: { tsMs: host.nowMs(), event: { $case: "snapshot", value: host.regionState() } } });
      const off = host.watch((event) => {
        if (!call.cancelled && call.writable) call.write({ event });
      });
      call.on("cancelled", off);
      call.on("close", off);
      call.on("error", off);
    },
    transferLeadership: (call, cb) => {
      if (!host.isLeader()) return cb(notLeader(host));
      host.transfer(call.request.toId).then(
        (r) => cb(null, r),
        (err) => cb(failure(err)),
      );
    },
    addMember: (call, cb) => {
      if (!host.isLeader()) return cb(notLeader(host));
      const r = call.request;
      host
        .changeMember({
          id: r.id,
          learner: r.learner,
          remove: false,
          raftAddress: r.raftAddress,
          fogAddress: r.fogAddress,
        })
        .then(
          (members) => cb(null, { members }),
          (err) => cb(failure(err)),
        );
    },
    removeMember: (call, cb) => {
      if (!host.isLeader()) return cb(notLeader(host));
      host
        .changeMember({ id: call.request.id, learner: false, remove: true, raftAddress: "", fogAddress: "" })
        .then(
          (members) => cb(null, { members }),
          (err) => cb(failure(err)),
        );
    },
  };
  return { definition: fogV1.FogLeadService as unknown as grpc.ServiceDefinition, implementation: impl };
}
