import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { freePort, tempDir, waitFor } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { Message } from "../message.js";
import { GrpcTransport, serverOptions } from "./grpc-transport.js";
import { insecureSecurity, type TransportSecurity, tlsSecurity } from "./security.js";
import { clusterName, PeerConfigError, parsePeers } from "./transport.js";

interface TestNode {
  id: number;
  port: number;
  transport: GrpcTransport;
  server: grpc.Server;
  received: Message[];
  rejected: string[];
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
  const security = opts.security ?? insecureSecurity();
  const transport = new GrpcTransport({
    id,
    peers,
    cluster: opts.cluster ?? clusterName(peers),
    security,
    onMessage: (m) => received.push(m),
    onRejected: (r) => rejected.push(r),
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
      msgs.push({ type: "app", from: 1, to: 2, term: 1, entries: [entry(i, 10_000)] });
    msgs.push({ type: "app", from: 1, to: 2, term: 1, entries: [entry(99, 2 * limit)] });
    msgs.push(hb(1, 2, 1));
    a!.transport.send(msgs);
    await until(() => b!.received.length === 21, "20 appends and a heartbeat");
    expect(a!.rejected.some((r) => r.includes("exceeds"))).toBe(true);
  });

  it("talks mutual TLS", async () => {
    const dir = tempDir("qonnect-tls-");
    cleanups.push(async () => dir.remove());
    const pem = makeCertificates(dir.path);
    const peers = await peerMap(2);
    const security = tlsSecurity(pem);
    const [a, b] = await Promise.all([1, 2].map((id) => startNode(id, peers, { security })));
    a!.transport.send([hb(1, 2, 5)]);
    await until(() => b!.received.length === 1, "a heartbeat over TLS");
    // a plain-text peer gets nowhere
    const plainPeers = new Map(peers);
    plainPeers.set(3, `127.0.0.1:${await freePort()}`);
    const c = await startNode(3, plainPeers, { cluster: clusterName(peers) });
    // wait until its stream to the TLS peer has failed (the handshake is refused), not for a while
    await until(() => {
      c.transport.send([hb(3, 2, 6)]);
      return (c.transport.stats().get(2)?.streamFailures ?? 0) > 0;
    }, "the plain-text stream to fail");
    expect(b!.received).toHaveLength(1);
    expect(b!.received.some((m) => m.term === 6)).toBe(false);
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

/** A CA and one node certificate for 127.0.0.1 / localhost, made with openssl. */
function makeCertificates(dir: string): { caPem: Buffer; certPem: Buffer; keyPem: Buffer } {
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=qonnect-test-ca",
  );
  run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "node.key",
    "-out",
    "node.csr",
    "-subj",
    "/CN=localhost",
  );
  const ext = join(dir, "ext.cnf");
  execFileSync("sh", [
    "-c",
    `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth,clientAuth\\n' > ${ext}`,
  ]);
  run(
    "x509",
    "-req",
    "-in",
    "node.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "node.pem",
    "-days",
    "1",
    "-extfile",
    ext,
  );
  return {
    caPem: readFileSync(join(dir, "ca.pem")),
    certPem: readFileSync(join(dir, "node.pem")),
    keyPem: readFileSync(join(dir, "node.key")),
  };
}
