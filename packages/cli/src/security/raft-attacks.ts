// Attacks on a Raft group of three members over mutual TLS (qonnect certificates, real gRPC sockets).
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { freePort } from "@qonnect/natsd";
import { loadBundle } from "@qonnect/pki";
import { raftV1 } from "@qonnect/proto";
import {
  clusterName,
  KvClient,
  type KvNode,
  messageToProto,
  startKvNode,
  type TlsPem,
  tlsSecurity,
} from "@qonnect/raft";
import { type Attempt, attempt } from "./attempt.js";
import type { NatsTarget } from "./nats-attacks.js";

function pem(dir: string): TlsPem {
  const b = loadBundle(dir);
  return { caPem: Buffer.from(b.caPem), certPem: Buffer.from(b.certPem), keyPem: Buffer.from(b.keyPem) };
}

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

export async function raftAttacks(t: NatsTarget): Promise<{ attempts: Attempt[]; stop(): Promise<void> }> {
  const peers = new Map<number, string>();
  for (let id = 1; id <= 3; id++) peers.set(id, `127.0.0.1:${await freePort()}`);
  const nodes: KvNode[] = [];
  for (const [id, listen] of peers) {
    const dir = await t.bundle("eu", "fog", `fog-${id}`);
    nodes.push(
      await startKvNode({
        id,
        listen,
        peers,
        dataDir: join(t.dir, `raft-${id}`),
        heartbeatMs: 50,
        electionMs: 500,
        initialClusterState: "new",
        security: tlsSecurity(pem(dir)),
      }),
    );
  }
  const kbDir = await t.bundle("cloud", "kb", "kb");
  const client = new KvClient([...peers.values()], { timeoutMs: 20_000, security: tlsSecurity(pem(kbDir)) });
  const written = await client.put("precious", new TextEncoder().encode("v1"));
  const cluster = clusterName(peers);
  const target = peers.get(2)!;
  const hb = (term: number) => messageToProto({ type: "heartbeat", from: 1, to: 2, term, commit: 0 });
  const terms = () => nodes.map((n) => n.driver.status().term);
  const before = Math.max(...terms());
  const attempts: Attempt[] = [];
  const rogueDir = await t.bundle("eu", "fog", "fog-3");
  attempts.push(
    await attempt("raft", "member 3's certificate claiming to be member 1", async () => {
      const r = await rawSend(target, tlsSecurity(pem(rogueDir)).channelCredentials, [
        { cluster, from: 1, messages: [hb(before + 5)] },
      ]);
      return {
        refused: (r.received ?? 0) === 0 && Math.max(...terms()) < before + 5,
        detail: `delivered ${r.received ?? 0}`,
      };
    }),
    await attempt("raft", "Knowledge Base (client) certificate on the peer port", async () => {
      const r = await rawSend(target, tlsSecurity(pem(kbDir)).channelCredentials, [
        { cluster, from: 1, messages: [hb(before + 5)] },
      ]);
      return { refused: r.err?.code === grpc.status.UNAUTHENTICATED, detail: r.err?.details ?? "accepted" };
    }),
    await attempt("raft", "plaintext to the TLS peer port", async () => {
      const r = await rawSend(target, grpc.credentials.createInsecure(), [
        { cluster, from: 1, messages: [hb(before + 5)] },
      ]);
      return { refused: r.err !== null, detail: r.err?.details ?? "accepted" };
    }),
    await attempt(
      "raft",
      "member-signed heartbeat with term 2^53-1, and a snap without metadata",
      async () => {
        const m3 = tlsSecurity(pem(rogueDir)).channelCredentials;
        const r = await rawSend(peers.get(1)!, m3, [
          {
            cluster,
            from: 3,
            messages: [
              { ...messageToProto({ type: "heartbeat", from: 3, to: 1, term: 1 }), term: 2 ** 53 - 1 },
              {
                ...messageToProto({ type: "heartbeat", from: 3, to: 1, term: 1 }),
                type: raftV1.MessageType.MESSAGE_TYPE_SNAP,
              },
              { ...messageToProto({ type: "heartbeat", from: 3, to: 1, term: 1 }), term: before + 1_000_000 },
            ],
          },
        ]);
        const after = Math.max(...terms());
        return {
          refused: (r.received ?? 0) === 0 && after < before + 1000,
          crashed: false,
          detail: `delivered ${r.received ?? 0}; highest term ${after}`,
        };
      },
    ),
  );
  const check = await client.get("precious").catch(() => undefined);
  const lost = !check?.found || new TextDecoder().decode(check.value) !== "v1";
  for (const a of attempts) a.dataLost = lost;
  attempts.push({
    area: "raft",
    name: "acknowledged write survives the attacks",
    refused: !lost,
    dataLost: lost,
    detail: `put at index ${written.index}, read back ${lost ? "NOT found" : "intact"}`,
  });
  return {
    attempts,
    async stop() {
      client.close();
      for (const n of nodes) await n.stop();
    },
  };
}
