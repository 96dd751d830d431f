// Membership and leadership through the Raft library's single-server changes. The gRPC transport dials a fixed
// peer list (fog.yaml `peers`), so a member can be added only when every member's file already names it.
import * as grpc from "@grpc/grpc-js";
import type { fogV1 } from "@qonnect/proto";
import type { RaftDriver } from "@qonnect/raft";
import type { RegionCommand } from "./region-command.js";
import type { RegionResult, RegionStateMachine } from "./region-state.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A gRPC status error with a message that says what to do next. */
function status(code: grpc.status, details: string): Partial<grpc.StatusObject> {
  return { code, details };
}

export class MembershipControl {
  constructor(
    private readonly driver: RaftDriver<RegionResult>,
    private readonly sm: RegionStateMachine,
    private readonly peers: Map<number, string>,
    private readonly propose: (cmd: RegionCommand) => Promise<RegionResult>,
  ) {}

  members(): fogV1.Member[] {
    const s = this.driver.status();
    const entry = (id: number, learner: boolean): fogV1.Member => {
      const rec = this.sm.members.get(id);
      const addr = rec?.raftAddress || this.peers.get(id) || "";
      return {
        id,
        raftAddress: addr,
        fogAddress: rec?.fogAddress || addr,
        learner,
        leader: id === s.leaderId,
      };
    };
    return [...s.conf.voters.map((id) => entry(id, false)), ...s.conf.learners.map((id) => entry(id, true))];
  }

  async change(req: {
    id: number;
    learner: boolean;
    remove: boolean;
    raftAddress: string;
    fogAddress: string;
  }): Promise<fogV1.Member[]> {
    const known = this.peers.get(req.id);
    if (!req.remove) {
      if (!known)
        throw status(
          grpc.status.FAILED_PRECONDITION,
          `member ${req.id} is not in the peers of fog.yaml; add it to every member's peers and restart them first`,
        );
      if (req.raftAddress && req.raftAddress !== known)
        throw status(
          grpc.status.INVALID_ARGUMENT,
          `member ${req.id} is at ${known} in fog.yaml, not ${req.raftAddress}`,
        );
    }
    const has = () => {
      const c = this.driver.status().conf;
      if (req.remove) return !c.voters.includes(req.id) && !c.learners.includes(req.id);
      return req.learner ? c.learners.includes(req.id) : c.voters.includes(req.id);
    };
    if (!has()) {
      try {
        this.driver.node.proposeConfChange({
          type: req.remove ? "removeNode" : req.learner ? "addLearner" : "addVoter",
          nodeId: req.id,
        });
      } catch (err) {
        throw status(
          grpc.status.UNAVAILABLE,
          `membership change refused: ${(err as Error).message}; retry shortly`,
        );
      }
      for (let i = 0; i < 100 && !has(); i++) await sleep(50);
      if (!has())
        throw status(
          grpc.status.DEADLINE_EXCEEDED,
          "the membership change was not applied within 5 s; check `qonnect fog status`",
        );
    }
    await this.propose({
      t: "member",
      memberId: req.id,
      raftAddress: req.raftAddress || known || "",
      fogAddress: req.fogAddress || req.raftAddress || known || "",
      learner: req.learner,
      remove: req.remove,
    });
    return this.members();
  }

  async transfer(toId: number): Promise<{ leaderId: number; term: number }> {
    const s = this.driver.status();
    let to = toId;
    if (to === 0) {
      let best = -1;
      for (const [id, p] of Object.entries(s.progress ?? {}))
        if (Number(id) !== s.id && !p.isLearner && p.match > best) {
          best = p.match;
          to = Number(id);
        }
    }
    if (!to || !s.conf.voters.includes(to))
      throw status(
        grpc.status.INVALID_ARGUMENT,
        `member ${toId} is not a voter of this region; see \`qonnect fog status\``,
      );
    if (to === s.id) return { leaderId: s.id, term: s.term };
    this.driver.node.transferLeader(to);
    for (let i = 0; i < 100 && this.driver.status().leaderId !== to; i++) await sleep(50);
    const after = this.driver.status();
    if (after.leaderId !== to)
      throw status(grpc.status.DEADLINE_EXCEEDED, `member ${to} did not take over within 5 s; retry`);
    return { leaderId: after.leaderId, term: after.term };
  }
}
