// One fog lead: the write-ahead log, the Raft transport and FogLead on one gRPC port, the region state machine
// under the Raft driver, NATS to the devices, HTTP for probes and metrics, and the leader's duties on timers.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import * as grpc from "@grpc/grpc-js";
import {
  bootstrap,
  clusterName,
  GrpcTransport,
  insecureSecurity,
  RaftDriver,
  serverOptions,
  tlsSecurityFromFiles,
  WalStorage,
} from "@qonnect/raft";
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from "nats";
import type { Logger } from "pino";
import type { FogConfig } from "./config.js";
import { FailureDetector } from "./detector.js";
import { DeviceLink } from "./device-link.js";
import { PlanExecutor } from "./executor.js";
import { fogSecurity, guardFogService } from "./fog-security.js";
import { fogService } from "./fog-service.js";
import { startHttpServer } from "./http-server.js";
import { LeaderDuties } from "./leader-duties.js";
import { createFogLogger } from "./log.js";
import { MembershipControl } from "./membership.js";
import { encodeRegionCommand, type RegionCommand } from "./region-command.js";
import { RegionEvents } from "./region-events.js";
import { regionModel } from "./region-model.js";
import { type RegionResult, RegionStateMachine } from "./region-state.js";
import { regionState, summaryParts } from "./region-view.js";
import { keepTelemetryStream } from "./telemetry-stream.js";

export interface FogLead {
  id: number;
  region: string;
  /** The bound gRPC port (Raft peers and FogLead). */
  port: number;
  httpPort: number;
  sm: RegionStateMachine;
  driver: RaftDriver<RegionResult>;
  stop(): Promise<void>;
}

const TICKS_PER_HEARTBEAT = 5;

function natsOptions(c: FogConfig, secured?: ConnectionOptions): ConnectionOptions {
  const n = c.nats;
  return {
    servers: n.servers,
    name: `qonnect-fog-${c.region}-${c.member}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
    // a lead started before its NATS server (or whose first TLS handshake times out) keeps trying
    waitOnFirstConnect: true,
    ...(secured ? { ...secured, servers: n.servers } : {}),
    ...(n.credentials ? { authenticator: credsAuthenticator(readFileSync(n.credentials)) } : {}),
    ...(n.user ? { user: n.user, pass: n.password ?? "" } : {}),
    ...(n.token ? { token: n.token } : {}),
  };
}

export async function startFogLead(config: FogConfig, logger?: Logger): Promise<FogLead> {
  const log = logger ?? createFogLogger(config.log.level);
  const nowMs = () => Date.now();
  const peers = config.peerMap;
  // a bundle is checked before anything is opened: the wrong identity starts nothing
  const secured = config.bundle
    ? fogSecurity(config.bundle, {
        region: config.region,
        member: config.member,
        ...(config.crlFile ? { crlFile: config.crlFile } : {}),
      })
    : undefined;
  const storage = WalStorage.open(config.dataDir);
  if (storage.lastIndex() === 0 && storage.initialState().hardState.term === 0) {
    if (config.initialClusterState === "new") {
      bootstrap(
        storage,
        [...(config.initialMembers ?? peers.keys())].sort((a, b) => a - b),
      );
      log.info({ members: config.initialMembers ?? [...peers.keys()] }, "bootstrapped a new region group");
    } else
      log.warn(
        {},
        "empty data directory and initialClusterState: existing: waiting to be added by the leader",
      );
  }
  const security = secured
    ? secured.transport
    : config.tls
      ? tlsSecurityFromFiles({ ca: config.tls.caFile, cert: config.tls.certFile, key: config.tls.keyFile })
      : insecureSecurity();
  const sm = new RegionStateMachine();
  const events = new RegionEvents(sm);
  let driver: RaftDriver<RegionResult> | undefined;
  const transport = new GrpcTransport({
    id: config.member,
    peers,
    cluster: clusterName(peers),
    security,
    onMessage: (m) => driver?.receive(m),
    onRejected: (reason) => log.warn({ reason }, "refused peer traffic"),
    // a killed leader's sockets close at once: its followers campaign then, not an election timeout later
    onPeerConnectionLost: (peer) => driver?.peerConnectionLost(peer),
    keepaliveMs: Math.max(1000, config.raft.electionMs),
    backoff: { initialMs: 50, maxMs: 100 },
  });
  const tickMs = config.raft.heartbeatMs / TICKS_PER_HEARTBEAT;
  driver = new RaftDriver<RegionResult>({
    id: config.member,
    storage,
    transport,
    stateMachine: sm,
    tickMs,
    electionTicks: Math.max(TICKS_PER_HEARTBEAT + 1, Math.round(config.raft.electionMs / tickMs)),
    heartbeatTicks: TICKS_PER_HEARTBEAT,
    snapshotEntries: config.raft.snapshotEntries,
    log,
  });
  const d = driver;
  const salt = randomBytes(4).toString("hex");
  let seq = 0;
  const propose = (cmd: RegionCommand): Promise<RegionResult> => {
    const id = `${config.member}-${salt}-${seq++}`;
    return d.propose(encodeRegionCommand(id, cmd), id).then((r) => r.result);
  };
  const nc: NatsConnection = await connect(natsOptions(config, secured?.nats(config.nats.servers)));
  const telemetryStream = keepTelemetryStream(nc, config.region, log);
  const detector = new FailureDetector(config.detector);
  const siteOf = (device: string) =>
    sm.devices.get(device)?.site ??
    link.registrations.get(device)?.site ??
    regionModel(sm.context).inventory?.devices.find((x) => x.name === device)?.site ??
    device;
  // declared maximum power per device, from the inventory of the current region context (built once per context)
  const maxW = new WeakMap<object, Map<string, number>>();
  const declaredMaxW = (device: string) => {
    const inv = regionModel(sm.context).inventory;
    if (!inv) return undefined;
    let m = maxW.get(inv);
    if (!m) {
      m = new Map(inv.devices.map((x) => [x.name, x.maxW]));
      maxW.set(inv, m);
    }
    return m.get(device);
  };
  const link: DeviceLink = new DeviceLink(nc, config.region, detector, siteOf, nowMs, {
    declaredMaxW,
    plausibility: config.plausibility,
    disconnectEvents: config.detector.disconnectEvents,
  });
  const executor = new PlanExecutor(config.execution, config.workloads);
  const duties = new LeaderDuties({
    sm,
    detector,
    link,
    executor,
    propose,
    nowMs,
    commandTimeoutMs: config.execution.commandTimeoutMs,
    log,
  });
  const membership = new MembershipControl(d, sm, peers, propose);
  let planInProgress = false;
  const isLeader = () => d.status().role === "leader";
  const leaderAddress = () => (d.leader ? peers.get(d.leader) : undefined);
  const lead = () => {
    const s = d.status();
    return {
      leaderId: s.leaderId,
      term: s.term,
      commitIndex: s.commitIndex,
      members: membership.members(),
      planInProgress: isLeader() ? planInProgress : sm.plan !== undefined && sm.exec.phase === "make",
    };
  };
  const view = () => regionState(config.region, sm, (x) => link.live.get(x), lead());

  // pings towards clients every 5 s: a Knowledge Base or operator whose event loop is busy for a second must
  // not lose its WatchRegion stream (peers find broken streams with their own, faster client keepalive)
  const server = new grpc.Server(serverOptions(16 * 1024 * 1024, 5000));
  const t = transport.service();
  server.addService(t.definition, t.implementation);
  const fog = fogService({
    region: config.region,
    sm,
    isLeader,
    leaderAddress,
    term: () => d.status().term,
    leaderId: () => d.leader,
    propose,
    regionState: view,
    transfer: (to) => membership.transfer(to),
    changeMember: (req) => membership.change(req),
    watch: (l) => events.subscribe(l),
    nowMs,
  });
  server.addService(
    fog.definition,
    secured ? guardFogService(fog.implementation, secured.authorize) : fog.implementation,
  );
  let port: number;
  let http: { server: Server; port: number };
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(config.listen, security.serverCredentials, (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    http = await startHttpServer(config.http, {
      role: () => d.status().role,
      term: () => d.status().term,
      commitIndex: () => d.status().commitIndex,
      appliedIndex: () => d.status().appliedIndex,
      planVersion: () => sm.planVersion,
      planInProgress: () => lead().planInProgress,
      devicesByVerdict: () => {
        const out: Record<string, number> = { unspecified: 0, alive: 0, suspect: 0, dead: 0, unreachable: 0 };
        for (const x of sm.devices.values()) out[x.verdict] = (out[x.verdict] ?? 0) + 1;
        return out;
      },
      counters: () => ({
        ...link.counters,
        ...duties.counters,
        raftRejected: transport.rejectedMessages,
        raftCredentialRotations: transport.rotations,
      }),
      ready: () => {
        if (nc.isClosed()) return { ok: false, why: "NATS connection closed" };
        if (!d.leader) return { ok: false, why: "no Raft leader known" };
        return { ok: true, why: `leader ${d.leader}, term ${d.status().term}` };
      },
    });
  } catch (err) {
    server.forceShutdown();
    telemetryStream.close();
    secured?.close();
    await nc.close();
    storage.close();
    throw err;
  }
  await transport.start();
  d.start();
  link.start();

  // the leader's turns: execution every loopMs, verdicts and re-placement every evaluateMs, summaries
  let ledTerm = 0;
  let lastEval = 0;
  let lastSummary = 0;
  let summarySeq = 0;
  let lastLeader = -1;
  const loop = setInterval(() => {
    const s = d.status();
    if (s.leaderId !== lastLeader) {
      lastLeader = s.leaderId;
      events.leader(s.leaderId, s.term, nowMs());
    }
    if (s.role !== "leader") {
      ledTerm = 0;
      return;
    }
    // act only once every entry of earlier terms is applied (our term's first entry is committed)
    if (d.node.termAt(s.commitIndex) !== s.term || s.appliedIndex < s.commitIndex) return;
    if (ledTerm !== s.term) {
      ledTerm = s.term;
      duties.takeOver(s.term);
      log.info({ term: s.term, planVersion: sm.planVersion }, "leading the region");
    }
    const now = nowMs();
    if (now - lastEval >= config.detector.evaluateMs) {
      lastEval = now;
      duties.registrations();
      duties.verdicts();
      duties.replan();
    }
    planInProgress = duties.execute();
    if (now - lastSummary >= config.summary.intervalMs) {
      lastSummary = now;
      link.publishSummary(summaryParts(view(), ++summarySeq, now));
    }
  }, config.execution.loopMs);

  log.info(
    {
      region: config.region,
      member: config.member,
      listen: config.listen,
      port,
      http: http.port,
      lastIndex: storage.lastIndex(),
      identity: secured
        ? `spiffe://qonnect/${config.region}/fog/${secured.bundle.identity.id}`
        : "none (insecure)",
    },
    "fog lead started",
  );
  return {
    id: config.member,
    region: config.region,
    port,
    httpPort: http.port,
    sm,
    driver: d,
    async stop() {
      clearInterval(loop);
      events.close();
      link.stop();
      d.stop();
      await transport.stop();
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      });
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
      http.server.closeAllConnections?.();
      telemetryStream.close();
      await nc.close().catch(() => {});
      secured?.close();
      storage.close();
    },
  };
}
