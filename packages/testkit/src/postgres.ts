import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, MissingBinaryError } from "@qonnect/natsd";

/** A real PostgreSQL server started for tests (Debian's `postgresql`), stopped by PID. */
export interface PostgresServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new MissingBinaryError("postgres", "apt-get install -y postgresql");
  return join(root, versions[0], "bin");
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}

/**
 * Starts `postgres` on a free loopback port with a fresh cluster (`initdb`, trust auth) in a temporary
 * directory, running as the `postgres` user (PostgreSQL refuses to run as root).
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const user = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "qonnect-pg-"));
  if (user) chownSync(dataDir, user.uid, user.gid);
  execFileSync(
    join(bin, "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
    {
      stdio: "ignore",
      ...(user ?? {}),
    },
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, "postgres"),
    ["-D", dataDir, "-p", String(port), "-k", dataDir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on"],
    { stdio: ["ignore", "ignore", "pipe"], ...(user ?? {}) },
  );
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postgres did not start within 30 s:\n${log}`)), 30_000);
    child.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`postgres exited with code ${code}:\n${log}`));
    });
  });
  child.stderr?.resume();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    pid: child.pid ?? -1,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT"); // fast shutdown
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The URL of a PostgreSQL server for this test file: `QONNECT_TEST_POSTGRES_URL` (make test starts one), or
 * a server started here and stopped by the returned `stop`. */
export async function usePostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = process.env.QONNECT_TEST_POSTGRES_URL;
  if (url) return { url, stop: async () => {} };
  const server = await startPostgres();
  return { url: server.url, stop: () => server.stop() };
}
