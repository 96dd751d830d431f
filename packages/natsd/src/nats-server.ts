import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A real nats-server (tests, the demo); `stop()` kills it by PID and removes its directory. */
export interface NatsServer {
  url: string;
  port: number;
  pid: number;
  storeDir: string;
  /** The server's log file (removed by `stop()`). */
  logFile: string;
  /** The server's log so far; after `stop()`, the log as it was when the server stopped. */
  log(): string;
  stop(): Promise<void>;
}

export class MissingBinaryError extends Error {
  override name = "MissingBinaryError";
  constructor(
    readonly binary: string,
    readonly install: string,
  ) {
    super(`${binary} is not installed or not on PATH; install it with: ${install}`);
  }
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => {
      const address = srv.address();
      const bound = typeof address === "object" && address ? address.port : undefined;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. Without a range the kernel picks one from its
 * ephemeral range; pass `{ fromPort, toPort }` (below the ephemeral range, which starts at 32768 on Linux)
 * for a port that outgoing connections cannot take between now and the moment a server binds it.
 */
export async function freePort(range?: { fromPort: number; toPort: number }): Promise<number> {
  if (!range) {
    const port = await tryListen(0);
    if (port === undefined) throw new Error("cannot bind any port on 127.0.0.1");
    return port;
  }
  const span = range.toPort - range.fromPort;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await tryListen(range.fromPort + Math.floor(Math.random() * span));
    if (port !== undefined) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${range.fromPort} and ${range.toPort}`);
}

function findBinary(name: string, candidates: string[]): string {
  for (const path of candidates) {
    try {
      execFileSync(path, ["--version"], { stdio: "ignore" });
      return path;
    } catch {
      // try the next one
    }
  }
  throw new MissingBinaryError(name, `apt-get install -y ${name}`);
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; rejects if `child` exits first. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { connect } = await import("node:net");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`nats-server exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** The port nats-server reports in its log: "Listening for client connections on 127.0.0.1:PORT". */
export function listeningPort(log: string): number | undefined {
  const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
  return m ? Number(m[1]) : undefined;
}

/** Waits until the server logs its client port; fails with the log if it exits or stays silent. */
async function waitForListening(logFile: string, child: ChildProcess, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
    const port = listeningPort(log);
    if (port !== undefined) return port;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `nats-server exited (${child.exitCode ?? child.signalCode}) before listening; its log:\n${log}`,
      );
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nats-server did not listen within ${timeoutMs} ms; its log:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The nats-server binary on PATH or in Debian's /usr/sbin; MissingBinaryError says how to install it. */
export function findNatsServerBinary(): string {
  return findBinary("nats-server", ["nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server"]);
}

/**
 * Starts a real `nats-server` with JetStream on loopback in a temporary directory. The server picks its own
 * port (`-p -1`) and the port is read back from its log, so no two servers race for a probed port. Pass `port`
 * to restart a server on the same port (outage tests). The log stays readable (`log()`) until `stop()`.
 */
export async function startNatsServer(
  options: { port?: number; jetstream?: boolean } = {},
): Promise<NatsServer> {
  const binary = findNatsServerBinary();
  const dir = mkdtempSync(join(tmpdir(), "qonnect-nats-"));
  const storeDir = join(dir, "store");
  const logFile = join(dir, "nats-server.log");
  const args = ["-a", "127.0.0.1", "-p", String(options.port ?? -1), "-l", logFile];
  if (options.jetstream !== false) args.push("-js", "-sd", storeDir);
  const child = spawn(binary, args, { stdio: "ignore" });
  let port: number;
  try {
    port = await waitForListening(logFile, child, 10_000);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let lastLog = "";
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    storeDir,
    logFile,
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : lastLog),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (existsSync(logFile)) lastLog = readFileSync(logFile, "utf8");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The nats-server that `make test` started (QONNECT_TEST_NATS_URL), or a new one of the test's own.
 * `stop()` only stops a server this call started. Tests that stop or restart the server use startNatsServer.
 */
export async function useNatsServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const shared = process.env.QONNECT_TEST_NATS_URL;
  if (shared) return { url: shared, stop: async () => {} };
  const server = await startNatsServer();
  return { url: server.url, stop: () => server.stop() };
}
