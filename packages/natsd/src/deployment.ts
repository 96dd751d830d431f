// A NATS deployment as qonnect runs it (DESIGN.md §1): a cloud cluster of nats-servers with JetStream
// (domain "cloud") and one leafnode server per fog region with its own JetStream domain. It starts the
// files under infra/nats/ exactly as they are, filling in their environment variables, so the demo and the
// tests run the configuration an operator deploys: with `secure` (files from the PKI, see
// @qonnect/pki enrollNatsDeployment) cloud.conf and leaf.conf (operator/JWT auth, TLS with client
// certificates on every port); without it the PLAINTEXT variants cloud.plaintext.conf and
// leaf.plaintext.conf, for tests that need no identities.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { findNatsServerBinary, freePort, waitForPort } from "./nats-server.js";

/** One nats-server process of a deployment; `stop()` and `start()` model an outage of that server. */
export interface DeploymentServer {
  readonly name: string;
  /** Client URL (nats://127.0.0.1:PORT). */
  readonly url: string;
  readonly port: number;
  readonly httpPort: number;
  /** PID of the running process, or undefined while stopped. */
  pid(): number | undefined;
  /** The server's log so far (for failing tests and the demo's error messages). */
  log(): string;
  /** SIGTERM (or `signal`) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same ports and store. */
  start(): Promise<void>;
  /** SIGHUP: the server re-reads its configuration (resolver.conf: revocations apply). */
  reload(): void;
}

export interface NatsDeployment {
  cloud: DeploymentServer[];
  leaves: Record<string, DeploymentServer>;
  /** Client URLs of the cloud cluster. */
  cloudUrls(): string[];
  stop(): Promise<void>;
}

export interface NatsDeploymentOptions {
  /** Fog regions; each gets a leafnode server whose JetStream domain is the region's name. */
  regions: string[];
  /** Working directory for stores and logs (one sub-directory per server). */
  dir: string;
  /** Cloud cluster size. Default 3 (the configuration names three routes). */
  cloudServers?: number;
  /** Directory holding cloud.conf and leaf.conf. Default: the repository's infra/nats. */
  configDir?: string;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /**
   * The deployment's secure files (structurally @qonnect/pki's NatsDeploymentFiles): operator/JWT auth and
   * TLS everywhere with cloud.conf and leaf.conf. Without it: the PLAINTEXT variants (tests only).
   */
  secure?: SecureNatsFiles;
}

/** Paths from the deployment's PKI (see the options' `secure`). */
export interface SecureNatsFiles {
  operatorJwtFile: string;
  resolverFile: string;
  accountKey: string;
  caFile: string;
  servers: Record<string, { certFile: string; keyFile: string }>;
  leafCreds: Record<string, string>;
}

/** Where infra/nats is, from this file (packages/natsd/src → repository root). */
export function defaultNatsConfigDir(): string {
  // from the sources (packages/natsd/src) or a bundle anywhere inside the repository
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir))
    if (existsSync(join(dir, "infra/nats/cloud.conf"))) return join(dir, "infra/nats");
  return resolve(import.meta.dirname, "../../../infra/nats");
}

class ConfiguredServer implements DeploymentServer {
  private child: ChildProcess | undefined;
  private output = "";
  constructor(
    readonly name: string,
    readonly port: number,
    readonly httpPort: number,
    private readonly binary: string,
    private readonly configFile: string,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly tls = false,
  ) {}

  get url(): string {
    return `${this.tls ? "tls" : "nats"}://127.0.0.1:${this.port}`;
  }

  reload(): void {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill("SIGHUP");
  }

  pid(): number | undefined {
    const c = this.child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  log(): string {
    return this.output || (existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "");
  }

  async start(): Promise<void> {
    if (this.pid() !== undefined) return;
    this.output = "";
    const child = spawn(this.binary, ["-c", this.configFile, "-l", this.logFile], {
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.output += d.toString();
    });
    this.child = child;
    try {
      await waitForPort(this.port, child, 15_000);
    } catch (err) {
      throw new Error(`${this.name}: ${(err as Error).message}\n${this.log()}`);
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }
}

/** Starts the cloud cluster, then one leafnode server per region, and waits until every server listens. */
export async function startNatsDeployment(options: NatsDeploymentOptions): Promise<NatsDeployment> {
  // ports are probed free and then bound by nats-server: another process may take one in between; such a
  // start is retried on fresh ports (a server that fails for any other reason fails the start at once)
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsDeploymentOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startNatsDeploymentOnce(options: NatsDeploymentOptions): Promise<NatsDeployment> {
  const binary = findNatsServerBinary();
  const secure = options.secure;
  const configDir = secure
    ? linkedConfigDir(options.configDir ?? defaultNatsConfigDir(), options.dir, secure)
    : (options.configDir ?? defaultNatsConfigDir());
  const variant = secure ? "" : ".plaintext";
  const tlsEnv = (name: string): Record<string, string> => {
    if (!secure) return {};
    const files = secure.servers[name];
    if (!files)
      throw new Error(`secure.servers has no certificate for ${name}; enrol it with enrollNatsDeployment`);
    return {
      QONNECT_NATS_TLS_CERT: files.certFile,
      QONNECT_NATS_TLS_KEY: files.keyFile,
      QONNECT_NATS_TLS_CA: secure.caFile,
      QONNECT_NATS_OPERATOR: secure.operatorJwtFile,
    };
  };
  const host = options.host ?? "127.0.0.1";
  const size = options.cloudServers ?? 3;
  const ports = async () => ({ client: await freePort(), http: await freePort(), other: await freePort() });
  const cloudPorts: { client: number; http: number; other: number; leaf: number }[] = [];
  for (let i = 0; i < size; i++) cloudPorts.push({ ...(await ports()), leaf: await freePort() });
  const route = (i: number) => {
    const p = cloudPorts[Math.min(i, size - 1)];
    return p ? `nats-route://${host}:${p.other}` : "";
  };
  const leafUrl = (i: number) => {
    const p = cloudPorts[Math.min(i, size - 1)];
    return p ? `nats-leaf://${host}:${p.leaf}` : "";
  };
  const cloud: ConfiguredServer[] = cloudPorts.map((p, i) => {
    const name = `cloud-${i + 1}`;
    const dir = join(options.dir, name);
    mkdirSync(dir, { recursive: true });
    return new ConfiguredServer(
      name,
      p.client,
      p.http,
      binary,
      join(configDir, `cloud${variant}.conf`),
      {
        ...tlsEnv(name),
        QONNECT_NATS_NAME: name,
        QONNECT_NATS_HOST: host,
        QONNECT_NATS_PORT: String(p.client),
        QONNECT_NATS_HTTP_PORT: String(p.http),
        QONNECT_NATS_CLUSTER_PORT: String(p.other),
        QONNECT_NATS_ROUTE_1: route(0),
        QONNECT_NATS_ROUTE_2: route(1),
        QONNECT_NATS_ROUTE_3: route(2),
        QONNECT_NATS_LEAF_PORT: String(p.leaf),
        QONNECT_NATS_STORE: join(dir, "store"),
      },
      join(dir, "nats.log"),
      Boolean(secure),
    );
  });
  const leaves: Record<string, ConfiguredServer> = {};
  for (const region of options.regions) {
    const p = await ports();
    const name = `leaf-${region}`;
    const dir = join(options.dir, name);
    mkdirSync(dir, { recursive: true });
    leaves[region] = new ConfiguredServer(
      name,
      p.client,
      p.http,
      binary,
      join(configDir, `leaf${variant}.conf`),
      {
        ...tlsEnv(name),
        ...(secure
          ? {
              QONNECT_NATS_ACCOUNT: secure.accountKey,
              QONNECT_NATS_LEAF_CREDS: secure.leafCreds[region] ?? "",
            }
          : {}),
        QONNECT_NATS_NAME: name,
        QONNECT_NATS_HOST: host,
        QONNECT_NATS_PORT: String(p.client),
        QONNECT_NATS_HTTP_PORT: String(p.http),
        QONNECT_NATS_STORE: join(dir, "store"),
        QONNECT_NATS_DOMAIN: region,
        QONNECT_NATS_CLOUD_1: leafUrl(0),
        QONNECT_NATS_CLOUD_2: leafUrl(1),
        QONNECT_NATS_CLOUD_3: leafUrl(2),
      },
      join(dir, "nats.log"),
      Boolean(secure),
    );
  }
  const all = [...cloud, ...Object.values(leaves)];
  const stop = async () => {
    await Promise.all(all.map((s) => s.stop()));
  };
  try {
    await Promise.all(cloud.map((s) => s.start()));
    await Promise.all(Object.values(leaves).map((s) => s.start()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { cloud, leaves, cloudUrls: () => cloud.map((s) => s.url), stop };
}

/**
 * `<dir>/conf/`: links to cloud.conf and leaf.conf as they are, and resolver.conf linked to the PKI's, which
 * they include from their own folder (so `qonnect revoke` followed by a SIGHUP reaches every server).
 */
function linkedConfigDir(source: string, dir: string, secure: SecureNatsFiles): string {
  const conf = join(dir, "conf");
  mkdirSync(conf, { recursive: true });
  for (const [name, target] of [
    ["cloud.conf", join(source, "cloud.conf")],
    ["leaf.conf", join(source, "leaf.conf")],
    ["resolver.conf", secure.resolverFile],
  ] as const) {
    rmSync(join(conf, name), { force: true });
    symlinkSync(resolve(target), join(conf, name));
  }
  return conf;
}
