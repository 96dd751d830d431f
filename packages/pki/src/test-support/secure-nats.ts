import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { enroll } from "../enroll.js";
import { natsServerConfig } from "../nats-config.js";
import type { Pki } from "../pki-store.js";

/** A real nats-server running the generated secure configuration (TLS, operator JWT, MEMORY resolver). */
export interface SecureNatsServer {
  url: string;
  port: number;
  pid: number;
  configFile: string;
  /** SIGHUP: re-reads the configuration (and the PKI's resolver.conf, so revocations apply) */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

function nats(): string {
  for (const path of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "nats-server"]) {
    try {
      execFileSync(path, ["--version"], { stdio: "ignore" });
      return path;
    } catch {
      // next
    }
  }
  throw new Error("nats-server is not installed; install it with: apt-get install -y nats-server");
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server did not listen on ${port}`);
}

/**
 * Enrols a `nats` server identity in `pki`, writes the generated configuration into `workDir` and starts a
 * real nats-server on `port` (JetStream on). For tests, the demo and the attack suite; `stop()` kills it by PID.
 */
export async function startSecureNatsServer(
  pki: Pki,
  workDir: string,
  options: { port: number; nowMs?: number },
): Promise<SecureNatsServer> {
  const bundleDir = join(workDir, "nats-server");
  mkdirSync(workDir, { recursive: true });
  await enroll(pki, { region: "cloud", role: "nats", id: `nats-${options.port}` }, bundleDir, {
    nowMs: options.nowMs ?? Date.now(),
    hosts: ["127.0.0.1", "localhost"],
  });
  const configFile = join(workDir, "nats-server.conf");
  const storeDir = join(workDir, "jetstream");
  writeFileSync(
    configFile,
    natsServerConfig({
      pkiDir: pki.dir,
      serverBundleDir: bundleDir,
      configFile,
      port: options.port,
      storeDir,
    }),
  );
  const child = spawn(nats(), ["-c", configFile, "-l", join(workDir, "nats-server.log")], {
    stdio: "ignore",
  });
  await waitForPort(options.port, child);
  return {
    url: `tls://127.0.0.1:${options.port}`,
    port: options.port,
    pid: child.pid ?? -1,
    configFile,
    async reload() {
      child.kill("SIGHUP");
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
