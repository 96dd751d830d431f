// One raft-kv member: the write-ahead log, the gRPC transport and KvService on one port, and the driver.
import * as grpc from "@grpc/grpc-js";
import { bootstrap } from "../bootstrap.js";
import { MessageDecodeError } from "../transport/codec.js";
import { GrpcTransport, serverOptions } from "../transport/grpc-transport.js";
import { insecureSecurity, type TransportSecurity } from "../transport/security.js";
import { clusterName } from "../transport/transport.js";
import { WalStorage } from "../wal/wal-storage.js";
import { type DriverLogger, RaftDriver } from "./driver.js";
import { KvApplication, kvService } from "./kv-service.js";
import type { KvResult } from "./kv-state-machine.js";

export interface KvNodeOptions {
  id: number;
  /** HOST:PORT to listen on (peers and clients). */
  listen: string;
  /** Every founding member, this one included: id → HOST:PORT as the others reach it. */
  peers: Map<number, string>;
  dataDir: string;
  heartbeatMs: number;
  electionMs: number;
  security?: TransportSecurity;
  /**
   * What an empty data directory means: `new` bootstraps a founding member of a new cluster, `existing` joins
   * a running cluster (no bootstrap: the leader sends a snapshot once the member is added). Without it a
   * member refuses to start on an empty directory: a wiped member that bootstrapped silently could vote a
   * second time in a term it already voted in. Ignored when the directory holds a log.
   */
  initialClusterState?: "new" | "existing";
  snapshotEntries?: number;
  log?: DriverLogger;
}

export interface KvNode {
  driver: RaftDriver<KvResult>;
  storage: WalStorage;
  transport: GrpcTransport;
  /** The port actually bound (useful with port 0). */
  port: number;
  stop(): Promise<void>;
}

const TICKS_PER_HEARTBEAT = 5;
/** How far ahead of a member's own term a peer's message may be: elections that happened while it was away. */
export const MAX_TERM_JUMP = 10_000;

/** A member was started on an empty data directory without being told whether to found or join a cluster. */
export class EmptyDataDirError extends Error {
  override name = "EmptyDataDirError";
  constructor(readonly dataDir: string) {
    super(
      `data directory ${dataDir} holds no log; pass --initial-cluster-state new to found a cluster, or ` +
        "existing to join one (a member whose data was lost must be removed and re-added under a new id)",
    );
  }
}

/** Thrown when --election-ms is not a multiple of --heartbeat-ms or too close to it. */
export class TimingConfigError extends Error {
  override name = "TimingConfigError";
}

export async function startKvNode(o: KvNodeOptions): Promise<KvNode> {
  if (o.heartbeatMs <= 0 || o.electionMs <= o.heartbeatMs)
    throw new TimingConfigError(
      `election timeout (${o.electionMs} ms) must exceed the heartbeat (${o.heartbeatMs} ms)`,
    );
  // TICKS_PER_HEARTBEAT ticks per heartbeat (etcd has one): the randomised election timeout in [election,
  // 2·election) then takes 5× as many distinct values, so two survivors of a dead leader time out in the same
  // tick (and split their votes) 5× less often, and the leader lease is measured to a fifth of a heartbeat
  const tickMs = o.heartbeatMs / TICKS_PER_HEARTBEAT;
  const electionTicks = Math.max(TICKS_PER_HEARTBEAT + 1, Math.round(o.electionMs / tickMs));
  const storage = WalStorage.open(o.dataDir);
  const empty =
    storage.recovery.created || (storage.lastIndex() === 0 && storage.initialState().hardState.term === 0);
  if (empty && o.initialClusterState === undefined) {
    storage.close();
    throw new EmptyDataDirError(o.dataDir);
  }
  if (empty && o.initialClusterState === "new")
    bootstrap(
      storage,
      [...o.peers.keys()].sort((a, b) => a - b),
    );
  if (storage.recovery.tornTail)
    o.log?.warn({ ...storage.recovery.tornTail }, "cut off a torn write-ahead log tail");
  const security = o.security ?? insecureSecurity();
  let driver: RaftDriver<KvResult> | undefined;
  let knownTerm = storage.initialState().hardState.term;
  const transport = new GrpcTransport({
    id: o.id,
    peers: o.peers,
    cluster: clusterName(o.peers),
    security,
    onMessage: (m) => {
      if (!driver) return;
      // a term far ahead of ours is a forgery (pre-vote keeps real terms from running away): the transport
      // drops and counts what this throws. Terms only grow, so a stale knownTerm errs on the side of a check.
      if (m.term > knownTerm + MAX_TERM_JUMP) {
        knownTerm = driver.status().term;
        if (m.term > knownTerm + MAX_TERM_JUMP)
          throw new MessageDecodeError(
            `term ${m.term} is more than ${MAX_TERM_JUMP} ahead of ours (${knownTerm})`,
          );
      }
      driver.receive(m);
    },
    onRejected: (reason) => o.log?.warn({ reason }, "refused peer traffic"),
    // slow enough that a busy event loop (an fsync, a GC pause) never looks like a dead peer: a stream torn
    // down by a late ping drops the votes queued behind it and costs an extra election round
    keepaliveMs: Math.max(1000, o.electionMs),
    // redial a lost peer every ~100 ms, as etcd's rafthttp does, rather than backing off to a second: a peer
    // that restarts must get our votes and acknowledgements at once, or the next election stalls on it
    backoff: { initialMs: 50, maxMs: 100 },
  });
  const app = new KvApplication();
  driver = new RaftDriver<KvResult>({
    id: o.id,
    storage,
    transport,
    stateMachine: app,
    tickMs,
    electionTicks,
    heartbeatTicks: TICKS_PER_HEARTBEAT,
    ...(o.snapshotEntries ? { snapshotEntries: o.snapshotEntries } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const server = new grpc.Server(serverOptions(16 * 1024 * 1024, 1000));
  const t = transport.service();
  server.addService(t.definition, t.implementation);
  const kv = kvService(driver, app, (id) => o.peers.get(id));
  server.addService(kv.definition, kv.implementation);
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(o.listen, security.serverCredentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (err) {
    storage.close();
    throw err;
  }
  await transport.start();
  driver.start();
  o.log?.info(
    {
      id: o.id,
      listen: o.listen,
      lastIndex: storage.lastIndex(),
      snapshotIndex: storage.snapshot().meta.index,
      term: storage.initialState().hardState.term,
    },
    "raft-kv node started",
  );
  return {
    driver,
    storage,
    transport,
    port,
    async stop() {
      driver.stop();
      await transport.stop();
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      });
      storage.close();
    },
  };
}
