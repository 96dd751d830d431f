import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { enroll, loadBundle, Pki } from "@qonnect/pki";
import { raftV1 } from "@qonnect/proto";
import { freePort, tempDir, waitFor } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../message.js";
import { messageToProto } from "./codec.js";
import { GrpcTransport, serverOptions } from "./grpc-transport.js";
import { insecureSecurity, type TlsPem, type TransportSecurity, tlsSecurity } from "./security.js";
import { clusterName, PeerConfigError, parsePeers } from "./transport.js";

interface TestNode {
  id: number;
  port: number;
  transport: GrpcTransport;
  server: grpc.Server;
  received: Message[];
  rejected: string[];
  /** Peers whose inbound stream broke (onPeerConnectionLost). */
  lost: number[];
  stop(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNode(
  id: number,
  peers: Map<number, string>,
  opts: { security?: TransportSecurity; cluster?: string; maxMessageBytes?: number } = {},
): Promise<TestNode> {
  const received: Message[] = [];
  const rejected: string[] = [];
  const lost: number[] = [];
  const security = opts.security ?? insecureSecurity();
  const transport = new GrpcTransport({
    id,
    peers,
    cluster: opts.cluster ?? clusterName(peers),
    security,
    onMessage: (m) => received.push(m),
    onRejected: (r) => rejected.push(r),
    onPeerConnectionLost: (p) => lost.push(p),
    backoff: { initialMs: 20, maxMs: 200 },
    keepaliveMs: 500,
    ...(opts.maxMessageBytes ? { maxMessageBytes: opts.maxMessageBytes } : {}),
  });
  const server = new grpc.Server(serverOptions(opts.maxMessageBytes ?? 16 << 20, 500));
  const svc = transport.service();
  server.addService(svc.definition, svc.implementation);
  const address = peers.get(id)!;
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(address, security.serverCredentials, (err) => (err ? reject(err) : resolve())),
  );
  await transport.start();
  let stopped = false;
  const node: TestNode = {
    id,
    port: Number(address.split(":")[1]),
    transport,
    server,
    received,
    rejected,
    lost,
    async stop() {
      if (stopped) return;
      stopped = true;
      await transport.stop();
      server.forceShutdown();
    },
  };
  cleanups.push(() => node.stop());
  return node;
}

function until(cond: () => boolean, what: string): Promise<void> {
  return waitFor(cond, { what, intervalMs: 10 });
}

async function peerMap(n: number): Promise<Map<number, string>> {
  const peers = new Map<number, string>();
  for (let i = 1; i <= n; i++) peers.set(i, `127.0.0.1:${await freePort()}`);
  return peers;
}

function hb(from: number, to: number, term: number): Message {
  return { type: "heartbeat", from, to, term, commit: term };
}

describe("GrpcTransport", () => {
  it("delivers messages in order between peers", async () => {
    const peers = await peerMap(3);
    const [a, b, c] = await Promise.all([1, 2, 3].map((id) => startNode(id, peers)));
    const batch: Message[] = [];
    for (let t = 1; t <= 200; t++) batch.push(hb(1, 2, t), hb(1, 3, t));
    a!.transport.send(batch);
    await until(() => b!.received.length === 200 && c!.received.length === 200, "200 messages at each peer");
    expect(b!.received.map((m) => m.term)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(c!.received[0]).toEqual(hb(1, 3, 1));
    expect(a!.transport.stats().get(2)?.sentMessages).toBe(200);
  });

  it("carries snapshot chunks on their own stream, next to ordinary messages", async () => {
    const peers = await peerMap(2);
    const [a, b] = await Promise.all([1, 2].map((id) => startNode(id, peers)));
    const chunk = new Uint8Array(4 << 20).fill(7);
    const snap: Message = {
      type: "snap",
      from: 1,
      to: 2,
      term: 1,
      snapMeta: { index: 10, term: 1, conf: { voters: [1, 2], learners: [] } },
      snapData: chunk,
      snapDone: true,
    };
    a!.transport.send([snap, snap, snap, hb(1, 2, 1)]);
    await until(() => b!.received.length === 4, "3 chunks and a heartbeat");
    const snaps = b!.received.filter((m) => m.type === "snap");
    expect(snaps).toHaveLength(3);
    expect(Buffer.from(snaps[0]!.snapData!).equals(chunk)).toBe(true);
    expect(snaps[0]!.snapData).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(snaps[0]!.snapData)).toBe(false);
  });

  it("reports a peer whose stream to us breaks (it stopped), and only that peer", async () => {
    const peers = await peerMap(3);
    const [a, b, c] = await Promise.all([1, 2, 3].map((id) => startNode(id, peers)));
    await until(() => {
      b!.transport.send([hb(2, 1, 1)]);
      c!.transport.send([hb(3, 1, 1)]);
      return a!.received.some((m) => m.from === 2) && a!.received.some((m) => m.from === 3);
    }, "heartbeats from 2 and 3");
    expect(a!.lost).toEqual([]);
    await b!.stop();
    await until(() => a!.lost.includes(2), "node 1 told that node 2's connection closed");
    expect(a!.lost).toEqual([2]);
  });

  it("reconnects to a peer that restarts", async () => {
    const peers = await peerMap(2);
    const a = await startNode(1, peers);
    let b = await startNode(2, peers);
    await until(() => {
      a.transport.send([hb(1, 2, 1)]);
      return b.received.length > 0;
    }, "first heartbeat");
    await b.stop();
    // messages sent while the peer is down are lost (Raft re-sends); the stream notices and backs off
    for (let i = 0; i < 20; i++) {
      a.transport.send([hb(1, 2, 2)]);
      await new Promise((r) => setTimeout(r, 10));
    }
    b = await startNode(2, peers);
    await until(() => {
      a.transport.send([hb(1, 2, 3)]);
      return b.received.some((m) => m.term === 3);
    }, "a heartbeat after the restart");
    const stats = a.transport.stats().get(2)!;
    expect(stats.streamFailures).toBeGreaterThan(0);
  });

  it("drops batches from another cluster and messages addressed to someone else", async () => {
    const peers = await peerMap(2);
    const a = await startNode(1, peers, { cluster: "other" });
    const b = await startNode(2, peers);
    await until(() => {
      a.transport.send([hb(1, 2, 1)]);
      return b.rejected.length > 0;
    }, "a rejection");
    expect(b.received).toEqual([]);
    expect(b.rejected[0]).toContain("cluster other");
  });

  it("splits batches under the message size limit and refuses single messages over it", async () => {
    const peers = await peerMap(2);
    const limit = 64 * 1024;
    const [a, b] = await Promise.all([1, 2].map((id) => startNode(id, peers, { maxMessageBytes: limit })));
    const entry = (i: number, size: number) => ({
      index: i,
      term: 1,
      type: "normal" as const,
      data: new Uint8Array(size),
    });
    const msgs: Message[] = [];
    for (let i = 1; i <= 20; i++)
      msgs.push({ type: "app", from: 1, to: 2, term: 1, index: i - 1, entries: [entry(i, 10_000)] });
    msgs.push({ type: "app", from: 1, to: 2, term: 1, index: 98, entries: [entry(99, 2 * limit)] });
    msgs.push(hb(1, 2, 1));
    a!.transport.send(msgs);
    await until(() => b!.received.length === 21, "20 appends and a heartbeat");
    expect(a!.rejected.some((r) => r.includes("exceeds"))).toBe(true);
  });

  it("talks mutual TLS; member ids come from certificates, never from the batch", async () => {
    const dir = tempDir("qonnect-tls-");
    cleanups.push(async () => dir.remove());
    const [p1, p2, p3, other, kb] = await makeBundles(dir.path, [
      { region: "eu", role: "fog", id: "fog-1" },
      { region: "eu", role: "fog", id: "fog-2" },
      { region: "eu", role: "fog", id: "fog-3" },
      { region: "us", role: "fog", id: "fog-1" },
      { region: "cloud", role: "kb", id: "kb" },
    ]);
    const peers = await peerMap(3);
    const [a, b] = await Promise.all([
      startNode(1, peers, { security: tlsSecurity(p1!) }),
      startNode(2, peers, { security: tlsSecurity(p2!) }),
    ]);
    a!.transport.send([hb(1, 2, 5)]);
    await until(() => b!.received.length === 1, "a heartbeat over TLS");
    const cluster = clusterName(peers);
    const address = peers.get(2)!;
    const forged = { cluster, from: 1, messages: [messageToProto(hb(1, 2, 7))] };
    // member 3's certificate claiming to be member 1
    const as3 = tlsSecurity(p3!).channelCredentials;
    expect((await rawSend(address, as3, [forged])).received).toBe(0);
    // a fog lead of another region, and a Knowledge Base certificate (a client, not a peer): refused outright
    for (const pem of [other!, kb!]) {
      const r = await rawSend(address, tlsSecurity(pem).channelCredentials, [forged]);
      expect(r.err?.code).toBe(grpc.status.UNAUTHENTICATED);
    }
    // plain text gets nowhere near a TLS port
    const plain = await rawSend(address, grpc.credentials.createInsecure(), [forged]);
    expect(plain.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(b!.received).toHaveLength(1);
    expect(b!.transport.rejectedMessages).toBeGreaterThanOrEqual(3);
    expect(b!.rejected.join("\n")).toMatch(/claiming node 1 from the certificate of node 3/);
  });

  it("drops malformed and out-of-bounds peer messages, counts them, and keeps serving", async () => {
    const peers = await peerMap(2);
    const b = await startNode(2, peers);
    const cluster = clusterName(peers);
    const base = messageToProto(hb(1, 2, 1));
    const bad: raftV1.Message[] = [
      { ...base, type: raftV1.MessageType.MESSAGE_TYPE_SNAP }, // snap without snapshot metadata
      { ...base, term: 2 ** 53 - 1 }, // a term no cluster reaches
      { ...base, commit: 2 ** 50 },
      { ...base, type: 999 as raftV1.MessageType },
      { ...base, from: 0 },
      {
        ...messageToProto({
          type: "app",
          from: 1,
          to: 2,
          term: 3,
          index: 4,
          logTerm: 3,
          entries: [{ index: 9, term: 3, type: "normal", data: new Uint8Array(1) }],
        }),
      }, // entry 9 where 5 was due
    ];
    const r = await rawSend(peers.get(2)!, grpc.credentials.createInsecure(), [
      { cluster, from: 1, messages: bad },
      { cluster, from: 1, messages: [base] },
    ]);
    expect(r.err).toBeNull();
    expect(r.received).toBe(1);
    expect(b.received).toHaveLength(1);
    expect(b.transport.rejectedMessages).toBe(bad.length);
  });

  it("parses peer lists", () => {
    expect(parsePeers("1=127.0.0.1:1,2=[::1]:2")).toEqual(
      new Map([
        [1, "127.0.0.1:1"],
        [2, "[::1]:2"],
      ]),
    );
    expect(() => parsePeers("1=a:1,1=b:2")).toThrow(PeerConfigError);
    expect(() => parsePeers("x")).toThrow(PeerConfigError);
    expect(clusterName(parsePeers("2=b:2,1=a:1"))).toBe(clusterName(parsePeers("1=a:1,2=b:2")));
  });
});

/** A CA (qonnect pki) and one certificate per identity, in bundles. */
async function makeBundles(dir: string, ids: { region: string; role: "fog" | "kb"; id: string }[]) {
  const pki = await Pki.init(join(dir, "pki"), { nowMs: Date.now() });
  const out: TlsPem[] = [];
  for (const who of ids) {
    const b = join(dir, `${who.region}-${who.role}-${who.id}`);
    await enroll(pki, who, b, { nowMs: Date.now(), hosts: ["127.0.0.1", "localhost"] });
    const bundle = loadBundle(b);
    out.push({
      caPem: Buffer.from(bundle.caPem),
      certPem: Buffer.from(bundle.certPem),
      keyPem: Buffer.from(bundle.keyPem),
    });
  }
  return out;
}

/** A raw peer stream: sends whatever batches it is given, as a (possibly hostile) client would. */
async function rawSend(address: string, creds: grpc.ChannelCredentials, batches: raftV1.SendRequest[]) {
  const client = new raftV1.RaftTransportServiceClient(address, creds);
  try {
    return await new Promise<{ err: grpc.ServiceError | null; received?: number }>((resolve) => {
      const call = client.send((err, res) => resolve({ err, received: res?.receivedMessages }));
      for (const b of batches) call.write(b);
      call.end();
    });
  } finally {
    client.close();
  }
}
