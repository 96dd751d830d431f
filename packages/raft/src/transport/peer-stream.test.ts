// PeerStream's reconnect logic with a fake stream: backoff after a failure, and an early retry once the peer
// is known to be up again.
import { EventEmitter } from "node:events";
import type { ClientWritableStream } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { PeerStream } from "./peer-stream.js";

class FakeStream extends EventEmitter {
  written: unknown[] = [];
  write(req: unknown): boolean {
    this.written.push(req);
    return true;
  }
  cancel(): void {}
}

function harness() {
  const opened: { stream: FakeStream; done: (err: Error | null) => void }[] = [];
  const ps = new PeerStream<unknown>({
    peerId: 2,
    maxQueueMessages: 100,
    maxQueueBytes: 1 << 20,
    backoff: { initialMs: 60_000, maxMs: 60_000 },
    open: (done) => {
      const stream = new FakeStream();
      opened.push({ stream, done });
      return stream as unknown as ClientWritableStream<unknown>;
    },
    pack: (msgs) => msgs,
  });
  return { ps, opened };
}

describe("PeerStream", () => {
  it("waits out its backoff after a failure, and drops what is sent meanwhile", () => {
    const { ps, opened } = harness();
    ps.start();
    expect(opened).toHaveLength(1);
    opened[0]!.done(new Error("peer gone"));
    ps.enqueue({ type: "heartbeat", from: 1, to: 2, term: 1 });
    expect(opened).toHaveLength(1);
    expect(ps.stats.droppedMessages).toBe(1);
    ps.stop();
  });

  it("reopens at once when told the peer is up (retryNow), and not while a stream is open", () => {
    const { ps, opened } = harness();
    ps.start();
    ps.retryNow();
    expect(opened).toHaveLength(1);
    opened[0]!.done(new Error("peer gone"));
    ps.retryNow();
    expect(opened).toHaveLength(2);
    expect(ps.stats.connected).toBe(true);
    ps.stop();
  });
});
