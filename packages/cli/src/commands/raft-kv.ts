// `qonnect dev raft-kv`: the replicated key-value harness on @qonnect/raft. `serve` runs one member; the client
// commands find the leader themselves and print one JSON object each.
import { resolve } from "node:path";
import {
  type DriverLogger,
  EmptyDataDirError,
  KvClient,
  KvOutcomeUnknownError,
  KvUnavailableError,
  PeerConfigError,
  parsePeers,
  startKvNode,
  TimingConfigError,
  type TransportSecurity,
  tlsSecurityFromFiles,
  WalCorruptionError,
  WalInconsistencyError,
  WalLockedError,
} from "@qonnect/raft";
import type { Command } from "commander";
import { CliError, EXIT, type Io } from "../io.js";
import type { Outcome } from "../run.js";
import type { Register } from "./index.js";

interface TlsOpts {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

interface ServeOpts extends TlsOpts {
  id: string;
  listen: string;
  peers: string;
  data: string;
  electionMs: string;
  heartbeatMs: string;
  snapshotEntries: string;
  initialClusterState?: string;
}

interface ClientOpts extends TlsOpts {
  endpoints?: string;
  timeoutMs: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`${name} must be a positive integer, got "${value}"`, EXIT.usage);
  return n;
}

function security(io: Io, o: TlsOpts): TransportSecurity | undefined {
  const given = [o.tlsCa, o.tlsCert, o.tlsKey].filter(Boolean).length;
  if (given === 0) return undefined;
  if (given !== 3)
    throw new CliError("TLS needs all three of --tls-ca, --tls-cert and --tls-key", EXIT.usage);
  return tlsSecurityFromFiles({
    ca: resolve(io.cwd, o.tlsCa!),
    cert: resolve(io.cwd, o.tlsCert!),
    key: resolve(io.cwd, o.tlsKey!),
  });
}

function withTls(cmd: Command): Command {
  return cmd
    .option("--tls-ca <file>", "CA certificate (PEM) for mutual TLS")
    .option("--tls-cert <file>", "this side's certificate (PEM)")
    .option("--tls-key <file>", "this side's private key (PEM)");
}

/** JSON lines on stderr: {"ts", "level", "msg", ...fields}. */
function jsonLogger(io: Io, id: number): DriverLogger {
  const line = (level: string, msg: string, fields?: Record<string, unknown>) =>
    io.err(`${JSON.stringify({ ts: new Date().toISOString(), level, node: id, msg, ...fields })}\n`);
  return { info: (m, f) => line("info", m, f), warn: (m, f) => line("warn", m, f) };
}

function clusterState(v: string): "new" | "existing" {
  if (v !== "new" && v !== "existing")
    throw new CliError(`--initial-cluster-state must be new or existing, not "${v}"`, EXIT.usage);
  return v;
}

async function serve(io: Io, o: ServeOpts): Promise<void> {
  const id = positiveInt("--id", o.id);
  let peers: Map<number, string>;
  try {
    peers = parsePeers(o.peers);
  } catch (err) {
    if (err instanceof PeerConfigError) throw new CliError(`--peers: ${err.message}`, EXIT.usage);
    throw err;
  }
  if (!peers.has(id)) throw new CliError(`--peers does not list this node's id ${id}`, EXIT.usage);
  const log = jsonLogger(io, id);
  let node: Awaited<ReturnType<typeof startKvNode>>;
  try {
    node = await startKvNode({
      id,
      listen: o.listen,
      peers,
      dataDir: resolve(io.cwd, o.data),
      electionMs: positiveInt("--election-ms", o.electionMs),
      heartbeatMs: positiveInt("--heartbeat-ms", o.heartbeatMs),
      snapshotEntries: positiveInt("--snapshot-entries", o.snapshotEntries),
      ...(o.initialClusterState ? { initialClusterState: clusterState(o.initialClusterState) } : {}),
      security: security(io, o),
      log,
    });
  } catch (err) {
    if (err instanceof TimingConfigError) throw new CliError(err.message, EXIT.usage);
    if (err instanceof EmptyDataDirError) throw new CliError(err.message, EXIT.usage);
    if (
      err instanceof WalCorruptionError ||
      err instanceof WalInconsistencyError ||
      err instanceof WalLockedError
    )
      throw new CliError(err.message, EXIT.failed);
    throw err;
  }
  await new Promise<void>((done) => {
    const shutdown = (signal: string) => {
      log.info("stopping", { signal });
      node.stop().then(done, done);
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}

/** No member answered `status`: says which and why. */
class MemberUnreachableError extends Error {
  override name = "MemberUnreachableError";
  constructor(readonly failures: string[]) {
    super(`no member answered: ${failures.join("; ")}`);
  }
}

async function client<T>(
  io: Io,
  outcome: Outcome,
  o: ClientOpts,
  fn: (c: KvClient) => Promise<T>,
): Promise<void> {
  const spec = o.endpoints ?? io.env.QONNECT_RAFT_ENDPOINTS;
  if (!spec) throw new CliError("give --endpoints HOST:PORT,... (or set QONNECT_RAFT_ENDPOINTS)", EXIT.usage);
  const endpoints = spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const sec = security(io, o);
  const c = new KvClient(endpoints, {
    timeoutMs: positiveInt("--timeout-ms", o.timeoutMs),
    ...(sec ? { security: sec } : {}),
  });
  try {
    io.out(`${JSON.stringify({ ok: true, ...(await fn(c)) })}\n`);
  } catch (err) {
    if (err instanceof KvOutcomeUnknownError) {
      io.out(`${JSON.stringify({ ok: false, error: "outcome-unknown", message: err.message })}\n`);
      io.err("the write may or may not have been applied; read the key to find out before retrying\n");
    } else if (err instanceof MemberUnreachableError) {
      io.out(`${JSON.stringify({ ok: false, error: "unreachable", message: err.message })}\n`);
      io.err(
        "is the member running, and are --endpoints (or $QONNECT_RAFT_ENDPOINTS) its --listen addresses?\n",
      );
    } else if (err instanceof KvUnavailableError) {
      io.out(`${JSON.stringify({ ok: false, error: "unavailable", message: err.message })}\n`);
      io.err("nothing was written; check that a majority of the members is running and reachable\n");
    } else throw err;
    outcome.exitCode = EXIT.failed;
  } finally {
    c.close();
  }
}

function clientCommand(parent: Command, spec: string, description: string): Command {
  return withTls(
    parent
      .command(spec)
      .description(description)
      .option("--endpoints <list>", "members' HOST:PORT, comma separated (default: $QONNECT_RAFT_ENDPOINTS)")
      .option("--timeout-ms <ms>", "give up after this long, retries included", "10000"),
  );
}

export const registerRaftKv: Register = (program, io, outcome) => {
  const kv = program
    .command("raft-kv")
    .description("replicated key-value store on @qonnect/raft (test harness)");
  withTls(
    kv
      .command("serve")
      .description("run one member; logs JSON lines to stderr; stops on SIGTERM/SIGINT")
      .requiredOption("--id <n>", "this member's id (≥ 1)")
      .requiredOption("--listen <host:port>", "address for peers and clients")
      .requiredOption("--peers <list>", "every member: 1=HOST:PORT,2=HOST:PORT,...")
      .requiredOption("--data <dir>", "data directory (write-ahead log and snapshots)")
      .option("--election-ms <ms>", "election timeout (randomised up to twice this)", "1000")
      .option("--heartbeat-ms <ms>", "heartbeat interval (the driver ticks five times per heartbeat)", "100")
      .option("--snapshot-entries <n>", "snapshot and compact the log every n applied entries", "10000")
      .option(
        "--initial-cluster-state <state>",
        "on an empty data directory: new (found the cluster) or existing (join it); refused without it",
      ),
  ).action((o: ServeOpts) => serve(io, o));
  clientCommand(kv, "put <key> <value>", "write a value").action(
    (key: string, value: string, o: ClientOpts) =>
      client(io, outcome, o, async (c) => ({ key, index: (await c.put(key, enc.encode(value))).index })),
  );
  clientCommand(kv, "get <key>", "linearizable read").action((key: string, o: ClientOpts) =>
    client(io, outcome, o, async (c) => {
      const r = await c.get(key);
      return { key, found: r.found, value: r.found ? dec.decode(r.value) : null, readIndex: r.readIndex };
    }),
  );
  clientCommand(kv, "cas <key> <old> <new>", "set key to new if it holds old")
    .option("--absent", "succeed only if the key does not exist (old is ignored)")
    .action((key: string, old: string, value: string, o: ClientOpts & { absent?: boolean }) =>
      client(io, outcome, o, async (c) => {
        const r = await c.cas(key, o.absent ? undefined : enc.encode(old), enc.encode(value));
        return {
          key,
          succeeded: r.succeeded,
          found: r.found,
          previous: r.found ? dec.decode(r.current) : null,
          index: r.index,
        };
      }),
    );
  clientCommand(
    kv,
    "status",
    "one member's view: {id, role, term, leaderId, commitIndex, appliedIndex}",
  ).action(async (o: ClientOpts) => {
    // one member's view, not a request to the leader: errors say which members did not answer
    const failures: string[] = [];
    let view: Record<string, unknown> | undefined;
    await client(io, outcome, o, async (c) => {
      for (const ep of c.endpoints) {
        try {
          const s = await c.status(ep, Math.min(2000, positiveInt("--timeout-ms", o.timeoutMs)));
          view = {
            endpoint: ep,
            id: s.id,
            role: s.role,
            term: s.term,
            leaderId: s.leaderId,
            commitIndex: s.commitIndex,
            appliedIndex: s.appliedIndex,
          };
          return view;
        } catch (err) {
          const e = err as { code?: number; details?: string; message: string };
          const why = (e.details ?? e.message).replace(/\s*Resolution note:.*$/s, "").trim();
          failures.push(`${ep}: ${why}`);
        }
      }
      throw new MemberUnreachableError(failures);
    });
  });
};
