import { raftV1 } from "@qonnect/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Message, MessageType } from "../message.js";
import { MessageDecodeError, messageFromProto, messageToProto } from "./codec.js";

const TYPES: MessageType[] = [
  "app",
  "appResp",
  "heartbeat",
  "heartbeatResp",
  "preVote",
  "preVoteResp",
  "vote",
  "voteResp",
  "snap",
  "snapResp",
  "prop",
  "readIndex",
  "readIndexResp",
  "transferLeader",
  "timeoutNow",
];

const n = fc.integer({ min: 1, max: 2 ** 53 - 1 });
const bytes = fc.uint8Array({ minLength: 1, maxLength: 64 });
const message: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...TYPES),
    from: fc.integer({ min: 1, max: 9 }),
    to: fc.integer({ min: 1, max: 9 }),
    term: fc.nat(),
    logTerm: n,
    index: n,
    entries: fc.array(
      fc.record({
        index: n,
        term: n,
        type: fc.constantFrom("normal" as const, "noop" as const, "conf" as const),
        data: fc.uint8Array({ maxLength: 32 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    commit: n,
    reject: fc.constant(true),
    rejectHint: n,
    context: bytes,
    transfer: fc.constant(true),
    snapMeta: fc.record({
      index: fc.nat(),
      term: fc.nat(),
      conf: fc.record({ voters: fc.array(n, { maxLength: 5 }), learners: fc.array(n, { maxLength: 3 }) }),
    }),
    snapOffset: n,
    snapData: bytes,
    snapDone: fc.constant(true),
  },
  { requiredKeys: ["type", "from", "to", "term"] },
);

describe("message codec", () => {
  it("round-trips every message through protobuf bytes", () => {
    fc.assert(
      fc.property(message, (m) => {
        const wire = raftV1.Message.encode(messageToProto(m)).finish();
        const back = messageFromProto(raftV1.Message.decode(wire));
        expect(back).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses an unknown message type and a message without sender", () => {
    const p = messageToProto({ type: "heartbeat", from: 1, to: 2, term: 3 });
    expect(() => messageFromProto({ ...p, type: raftV1.MessageType.MESSAGE_TYPE_UNSPECIFIED })).toThrow(
      MessageDecodeError,
    );
    expect(() => messageFromProto({ ...p, from: 0 })).toThrow(MessageDecodeError);
  });
});
