import { raftV1 } from "@qonnect/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Message, MessageType } from "../message.js";
import { checkMessage, MessageDecodeError, messageFromProto, messageToProto } from "./codec.js";

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

// mostly within the bounds a real cluster stays in, sometimes far beyond
const n = fc.oneof(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 1, max: 2 ** 53 - 1 }));
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
  it("round-trips every message within bounds; refuses the rest with MessageDecodeError only", () => {
    let kept = 0;
    fc.assert(
      fc.property(message, (m) => {
        const wire = raftV1.Message.encode(messageToProto(m)).finish();
        let ok = true;
        try {
          checkMessage(m);
        } catch (err) {
          expect(err).toBeInstanceOf(MessageDecodeError);
          ok = false;
        }
        if (ok) {
          kept++;
          expect(messageFromProto(raftV1.Message.decode(wire))).toEqual(m);
        } else expect(() => messageFromProto(raftV1.Message.decode(wire))).toThrow(MessageDecodeError);
      }),
      { numRuns: 300 },
    );
    expect(kept).toBeGreaterThan(0);
  });

  it("fuzz: arbitrary bytes from a peer never throw anything but a decode error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (buf) => {
        let p: raftV1.Message;
        try {
          p = raftV1.Message.decode(buf);
        } catch {
          return; // protobuf refused the bytes (grpc-js drops such a request before the handler)
        }
        try {
          messageFromProto(p);
        } catch (err) {
          expect(err).toBeInstanceOf(MessageDecodeError);
        }
      }),
      { numRuns: Number(process.env.QONNECT_FUZZ_RUNS ?? 2000) },
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
