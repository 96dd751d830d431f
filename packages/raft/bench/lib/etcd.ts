// A 3-member etcd cluster (Debian's etcd-server, 3.4) on loopback for the failover comparison: same heartbeat
// and election settings as ours, pre-vote on (as ours), fsync on (etcd's default). Spoken to through its
// JSON gateway (/v3/kv/put, /v3/maintenance/status) so that the client side costs the same as ours.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@qonnect/testkit";

export class EtcdMissingError extends Error {
  override name = "EtcdMissingError";
  constructor() {
    super(
      "etcd is not installed; install it with: apt-get install -y etcd-server etcd-client (or pass --no-etcd)",
    );
  }
}

export function etcdVersion(): string {
  try {
    const out = execFileSync("etcd", ["--version"], { stdio: "pipe" }).toString();
    return /etcd Version: (\S+)/.exec(out)?.[1] ?? "unknown";
  } catch {
    throw new EtcdMissingError();
  }
}

export interface EtcdCluster {
  endpoints: Map<number, string>;
  start(id: number): void;
  kill(id: number): Promise<void>;
  /** The leader's member number (1..3), or 0 when none answers as leader. */
  leader(): Promise<number>;
  put(id: number, key: string, value: string, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

export async function startEtcd(heartbeatMs: number, electionMs: number): Promise<EtcdCluster> {
  etcdVersion();
  const dir = mkdtempSync(join(tmpdir(), "qonnect-etcd-"));
  const peerPorts = new Map<number, number>();
  const endpoints = new Map<number, string>();
  for (const id of [1, 2, 3]) {
    peerPorts.set(id, await freePort());
    endpoints.set(id, `127.0.0.1:${await freePort()}`);
  }
  const initial = [...peerPorts].map(([id, p]) => `n${id}=http://127.0.0.1:${p}`).join(",");
  const procs = new Map<number, ChildProcess>();
  const start = (id: number) => {
    const log = openSync(join(dir, `n${id}.log`), "a");
    const peer = `http://127.0.0.1:${peerPorts.get(id)}`;
    const client = `http://${endpoints.get(id)}`;
    const child = spawn(
      "etcd",
      [
        `--name=n${id}`,
        `--data-dir=${join(dir, `n${id}`)}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--initial-cluster=${initial}`,
        "--initial-cluster-state=new",
        "--initial-cluster-token=qonnect-bench",
        `--heartbeat-interval=${heartbeatMs}`,
        `--election-timeout=${electionMs}`,
        "--pre-vote=true",
        "--logger=zap",
        "--log-level=error",
      ],
      { stdio: ["ignore", log, log] },
    );
    procs.set(id, child);
  };
  const post = async (id: number, path: string, body: unknown, timeoutMs: number) => {
    const res = await fetch(`http://${endpoints.get(id)}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = (await res.json()) as Record<string, unknown>;
    return { ok: res.ok && !("error" in json), json };
  };
  const kill = async (id: number) => {
    const child = procs.get(id);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    procs.delete(id);
  };
  for (const id of endpoints.keys()) start(id);
  return {
    endpoints,
    start,
    kill,
    async leader() {
      const answers = await Promise.all(
        [...endpoints.keys()].map(async (id) => {
          if (!procs.has(id)) return 0;
          try {
            const { ok, json } = await post(id, "/v3/maintenance/status", {}, 300);
            const header = json.header as { member_id?: string } | undefined;
            return ok && json.leader && header?.member_id === json.leader ? id : 0;
          } catch {
            return 0;
          }
        }),
      );
      return answers.find((id) => id > 0) ?? 0;
    },
    async put(id, key, value, timeoutMs) {
      try {
        return (await post(id, "/v3/kv/put", { key: b64(key), value: b64(value) }, timeoutMs)).ok;
      } catch {
        return false;
      }
    },
    async stop() {
      for (const id of [...procs.keys()]) await kill(id);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
