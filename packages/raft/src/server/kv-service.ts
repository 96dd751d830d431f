// KvService over gRPC: writes are proposed on the leader and answered once applied; reads wait for ReadIndex.
// Errors map onto status codes the client (kv-client.ts) relies on to tell "not done" from "maybe done".
import * as grpc from "@grpc/grpc-js";
import { raftV1 } from "@qonnect/proto";
import type { RaftDriver, StateMachine } from "./driver.js";
import {
  NotLeaderError,
  OutcomeUnknownError,
  OverloadedError,
  ProposalLostError,
  ReadTimeoutError,
} from "./errors.js";
import {
  decodeCommand,
  encodeCommand,
  type KvCommand,
  type KvResult,
  KvStateMachine,
  PROPOSAL_ID_BYTES,
} from "./kv-state-machine.js";
import { ProposalIds } from "./proposal-id.js";

/** Trailing metadata keys on FAILED_PRECONDITION (not the leader). */
export const LEADER_ID_KEY = "raft-leader-id";
export const LEADER_ADDRESS_KEY = "raft-leader-address";

/** KvStateMachine as the driver sees it. */
export class KvApplication implements StateMachine<KvResult> {
  readonly kv = new KvStateMachine();
  apply(command: Uint8Array): { proposalId: string | undefined; result: KvResult } {
    const { id, cmd } = decodeCommand(command);
    return { proposalId: id, result: this.kv.apply(cmd) };
  }
  proposalId(data: Uint8Array): string | undefined {
    return data.length > PROPOSAL_ID_BYTES
      ? Buffer.from(data.subarray(1, 1 + PROPOSAL_ID_BYTES)).toString("hex")
      : undefined;
  }
  snapshot(): Uint8Array {
    return this.kv.snapshot();
  }
  restore(data: Uint8Array): void {
    this.kv.restore(data);
  }
}

/** Maps driver errors to gRPC status errors (with the leader hint where there is one). */
function toStatus(
  err: unknown,
  leaderAddress: (id: number) => string | undefined,
): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  if (err instanceof NotLeaderError) {
    if (err.leaderId) {
      metadata.set(LEADER_ID_KEY, String(err.leaderId));
      const addr = leaderAddress(err.leaderId);
      if (addr) metadata.set(LEADER_ADDRESS_KEY, addr);
    }
    return { code: grpc.status.FAILED_PRECONDITION, details: err.message, metadata };
  }
  if (err instanceof ProposalLostError) return { code: grpc.status.ABORTED, details: err.message };
  if (err instanceof OverloadedError) return { code: grpc.status.RESOURCE_EXHAUSTED, details: err.message };
  if (err instanceof ReadTimeoutError) return { code: grpc.status.UNAVAILABLE, details: err.message };
  if (err instanceof OutcomeUnknownError) return { code: grpc.status.UNKNOWN, details: err.message };
  return { code: grpc.status.UNKNOWN, details: `outcome unknown: ${(err as Error).message}` };
}

export function kvService(
  driver: RaftDriver<KvResult>,
  app: KvApplication,
  leaderAddress: (id: number) => string | undefined,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const fail = (cb: (e: Partial<grpc.ServiceError>) => void, err: unknown) =>
    cb(toStatus(err, leaderAddress));
  const ids = new ProposalIds();
  const write = async (cmd: KvCommand) => {
    const id = ids.next();
    return driver.propose(encodeCommand(id, cmd), id.toString("hex"));
  };
  const impl: raftV1.KvServiceServer = {
    put: (call, cb) => {
      write({ op: "put", key: call.request.key, value: call.request.value }).then(
        ({ index }) => cb(null, { index }),
        (err) => fail(cb, err),
      );
    },
    cas: (call, cb) => {
      const r = call.request;
      write({
        op: "cas",
        key: r.key,
        expected: r.expectAbsent ? undefined : r.expected,
        value: r.value,
      }).then(
        ({ index, result }) =>
          cb(null, {
            succeeded: result.succeeded,
            found: result.found,
            current: result.previous ?? new Uint8Array(),
            index,
          }),
        (err) => fail(cb, err),
      );
    },
    putStream: (call) => {
      let pending = 0;
      let ended = false;
      const answer = (res: raftV1.PutStreamResponse) => {
        pending--;
        if (!call.cancelled && call.writable) call.write(res);
        if (ended && pending === 0) call.end();
      };
      call.on("data", (req: raftV1.PutStreamRequest) => {
        pending++;
        write({ op: "put", key: req.key, value: req.value }).then(
          ({ index }) => answer({ id: req.id, code: grpc.status.OK, message: "", index, leaderAddress: "" }),
          (err) => {
            const st = toStatus(err, leaderAddress);
            const hint = st.metadata?.get(LEADER_ADDRESS_KEY)[0];
            answer({
              id: req.id,
              code: st.code ?? grpc.status.UNKNOWN,
              message: st.details ?? "",
              index: 0,
              leaderAddress: typeof hint === "string" ? hint : "",
            });
          },
        );
      });
      call.on("end", () => {
        ended = true;
        if (pending === 0) call.end();
      });
      call.on("error", () => {});
    },
    get: (call, cb) => {
      driver.readIndex().then(
        (readIndex) => {
          const v = app.kv.get(call.request.key);
          cb(null, { found: v !== undefined, value: v ?? new Uint8Array(), readIndex });
        },
        (err) => fail(cb, err),
      );
    },
    status: (_call, cb) => {
      const s = driver.status();
      cb(null, {
        id: s.id,
        role: s.role,
        term: s.term,
        leaderId: s.leaderId,
        commitIndex: s.commitIndex,
        appliedIndex: s.appliedIndex,
        leaderAddress: (s.leaderId && leaderAddress(s.leaderId)) || "",
        lastIndex: s.lastIndex,
      });
    },
  };
  return { definition: raftV1.KvServiceService as unknown as grpc.ServiceDefinition, implementation: impl };
}
