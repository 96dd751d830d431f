// Real raft-kv processes for the benchmarks and the real-process tests: the qonnect CLI bundled once (the test
// kit's bundleCli), then `dev raft-kv serve` processes on free loopback ports, each with its own data
// directory. Kill -9, restart, stop.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleCli, freePort } from "@qonnect/testkit";
import { KvClient } from "../server/kv-client.js";

export interface ClusterOptions {
  size: number;
  heartbeatMs: number;
  electionMs: number;
  /** Address per node id (default: 127.0.0.1 on a free port). */
  addresses?: Map<number, string>;
  /** Command prefix per node id, e.g. ["ip", "netns", "exec", "ns1"]. */
  wrap?: (id: number) => string[];
  snapshotEntries?: number;
}

export interface ProcessCluster {
  peers: Map<number, string>;
  endpoints: string[];
  dataRoot: string;
  client: KvClient;
  /** Starts (or restarts) a node on its data directory. */
  start(id: number): void;
  /** Sends a signal (default SIGKILL) and waits for the process to exit. */
  kill(id: number, signal?: NodeJS.Signals): Promise<void>;
  running(): number[];
  /** The leader as the nodes report it (highest term wins); waits up to timeoutMs. */
  waitForLeader(timeoutMs?: number, exclude?: number): Promise<{ id: number; term: number }>;
  /** The node's log lines (stderr). */
  log(id: number): string;
  stop(): Promise<void>;
}

export async function startCluster(o: ClusterOptions): Promise<ProcessCluster> {
  const cli = bundleCli();
  const peers = new Map<number, string>();
  for (let id = 1; id <= o.size; id++) peers.set(id, o.addresses?.get(id) ?? `127.0.0.1:${await freePort()}`);
  const dataRoot = mkdtempSync(join(tmpdir(), "qonnect-raft-procs-"));
  const procs = new Map<number, ChildProcess>();
  const peerSpec = [...peers].map(([id, a]) => `${id}=${a}`).join(",");
  const endpoints = [...peers.values()];
  const client = new KvClient(endpoints, { timeoutMs: 10_000 });

  const start = (id: number) => {
    if (procs.has(id)) throw new Error(`node ${id} is already running`);
    const logFd = openSync(join(dataRoot, `node${id}.log`), "a");
    const args = [
      cli,
      "dev",
      "raft-kv",
      "serve",
      "--id",
      String(id),
      "--listen",
      peers.get(id)!,
      "--peers",
      peerSpec,
      "--data",
      join(dataRoot, `node${id}`),
      "--heartbeat-ms",
      String(o.heartbeatMs),
      "--election-ms",
      String(o.electionMs),
      "--initial-cluster-state",
      "new",
      ...(o.snapshotEntries ? ["--snapshot-entries", String(o.snapshotEntries)] : []),
    ];
    const wrap = o.wrap?.(id) ?? [];
    const cmd = [...wrap, process.execPath, ...args];
    const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "ignore", logFd] });
    child.on("exit", () => {
      if (procs.get(id) === child) procs.delete(id);
    });
    procs.set(id, child);
  };

  const kill = async (id: number, signal: NodeJS.Signals = "SIGKILL") => {
    const child = procs.get(id);
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      procs.delete(id);
      return;
    }
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
    procs.delete(id);
  };

  const waitForLeader = async (timeoutMs = 30_000, exclude?: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answers = await Promise.all(
        [...peers].map(([id, ep]) =>
          id === exclude || !procs.has(id) ? undefined : client.status(ep, 300).catch(() => undefined),
        ),
      );
      let best: { id: number; term: number } | undefined;
      for (const s of answers)
        if (s && s.role === "leader" && (!best || s.term > best.term)) best = { id: s.id, term: s.term };
      if (best) return best;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no leader within ${timeoutMs} ms; logs in ${dataRoot}`);
  };

  for (const id of peers.keys()) start(id);
  return {
    peers,
    endpoints,
    dataRoot,
    client,
    start,
    kill,
    running: () => [...procs.keys()],
    waitForLeader,
    log: (id) => {
      const f = join(dataRoot, `node${id}.log`);
      return existsSync(f) ? readFileSync(f, "utf8") : "";
    },
    async stop() {
      client.close();
      await Promise.all([...procs.keys()].map((id) => kill(id, "SIGKILL")));
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}
