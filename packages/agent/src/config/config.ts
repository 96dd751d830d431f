import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseMemoryBytes, QuantityError, type Tier } from "@qonnect/core";
import { parse as loadYaml } from "yaml";

// core's TIERS lives beside its zod manifest schemas; importing it would load zod into the agent (~8 MB RSS)
const TIERS: readonly Tier[] = ["cloud", "fog", "edge"];

import { FieldReader } from "./fields.js";
import { NAME, readPower, readRuntime } from "./runtime.js";
import { type EmulatedSensorSpec, readSensors, type SensorSpec, type SensorsConfig } from "./sensors.js";

export type { EmulatedSensorSpec, SensorSpec };

/** The device's power profile P(u) = idleW + (maxW − idleW)·u^gamma, used where nothing is measured. */
export interface PowerProfile {
  idleW: number;
  maxW: number;
  gamma: number;
}

/** A validated agent configuration (agent.yaml). Units are in the field names. */
export interface AgentConfig {
  device: string;
  region: string;
  site: string;
  tier: Tier;
  labels: Record<string, string>;
  nats: {
    servers: string[];
    /** a NATS .creds file (JWT + nkey seed) */
    credentialsFile?: string;
    /**
     * a `qonnect enroll device` bundle: TLS required with its CA pinned, its client certificate, its
     * nats.creds and reply-inbox prefix (DESIGN.md §10). Takes the place of credentials/user/token.
     */
    bundleDir?: string;
    user?: string;
    password?: string;
    token?: string;
    reconnectWaitMs: number;
    /** how long a telemetry publish waits for the region stream's acknowledgement (default 3000) */
    ackTimeoutMs: number;
    /** while the stream does not acknowledge, how often one spooled sample probes it (default 5000) */
    ackRetryMs: number;
  };
  sensors: SensorsConfig;
  runtime: {
    kind: "process" | "k3s";
    /** process runtime: working directory of the workloads */
    workDir: string;
    /** SIGTERM → SIGKILL grace period */
    stopGraceMs: number;
    /** process runtime: run workloads under this uid/gid with these rlimits (prlimit) */
    sandbox?: {
      uid: number;
      gid: number;
      addressSpaceBytes?: number;
      processes?: number;
      cpuSeconds?: number;
      openFiles?: number;
    };
    /** k3s runtime */
    kubeconfig?: string;
    namespace: string;
    node: string;
  };
  power: PowerProfile;
  samplePeriodMs: number;
  dataDir: string;
  spool: { maxBytes: number };
  http: { host: string; port: number };
  log: { level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent" };
}

/** The configuration file has problems; `problems` holds one `file: path: message` line per problem. */
export class AgentConfigError extends Error {
  override name = "AgentConfigError";
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(
      `${file}: ${problems.length} problem(s) in the agent configuration:\n${problems.join("\n")}`,
      options,
    );
  }
}

const TOP = [
  "device",
  "region",
  "site",
  "tier",
  "labels",
  "nats",
  "sensors",
  "runtime",
  "power",
  "samplePeriodMs",
  "dataDir",
  "spool",
  "http",
  "log",
] as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Reads and validates `file`; throws {@link AgentConfigError} listing every problem at once. */
export function loadAgentConfig(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new AgentConfigError(file, [`cannot read the file (${code})`], { cause: err });
  }
  return parseAgentConfig(text, file);
}

/** Validates YAML text; relative paths (dataDir, workDir, credentials) resolve against the file's folder. */
export function parseAgentConfig(text: string, file = "agent.yaml"): AgentConfig {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    throw new AgentConfigError(file, [`not valid YAML: ${(err as Error).message.split("\n")[0]}`], {
      cause: err,
    });
  }
  return checkAgentConfig(doc, file);
}

/**
 * Validates an agent configuration given as a plain object (what agent.yaml parses to), for code that builds
 * one instead of writing YAML (the simulator's fleets); relative paths resolve against `file`'s folder.
 */
export function checkAgentConfig(doc: unknown, file = "agent.yaml"): AgentConfig {
  const r = new FieldReader();
  const base = dirname(resolve(file));
  const path = (p: string | undefined) =>
    p === undefined ? undefined : isAbsolute(p) ? p : resolve(base, p);
  const top = r.object(doc, "", true) ?? {};
  r.unknownKeys(top, "", TOP);

  const device = r.string(top, "device", "", { required: true, pattern: NAME });
  const region = r.string(top, "region", "", { required: true, pattern: NAME });
  const site = r.string(top, "site", "", { required: true, pattern: NAME });
  const tier = r.string(top, "tier", "", { required: true, oneOf: TIERS }) as Tier | undefined;
  const labels = r.stringMap(top, "labels", "");

  const nats = r.object(top["nats"], "nats", true) ?? {};
  r.unknownKeys(nats, "nats", [
    "servers",
    "credentials",
    "bundle",
    "user",
    "password",
    "token",
    "reconnectWaitMs",
    "ackTimeoutMs",
    "ackRetryMs",
  ]);
  const servers = r.stringList(nats, "servers", "nats", true) ?? [];
  servers.forEach((s, i) => {
    if (!/^(nats|tls|ws|wss):\/\/[^\s]+$|^[^\s/:]+:\d+$/.test(s))
      r.problem(`nats.servers[${i}]`, `must look like nats://host:4222, got "${s}"`);
  });
  const credentialsFile = path(r.string(nats, "credentials", "nats"));
  const bundleDir = path(r.string(nats, "bundle", "nats"));
  const user = r.string(nats, "user", "nats");
  const password = r.string(nats, "password", "nats");
  if ((user === undefined) !== (password === undefined))
    r.problem("nats", "user and password go together; give both or neither");
  const token = r.string(nats, "token", "nats");
  const reconnectWaitMs = r.number(nats, "reconnectWaitMs", "nats", { min: 10, max: 60_000 }) ?? 1000;
  const ackTimeoutMs = r.number(nats, "ackTimeoutMs", "nats", { min: 50, max: 60_000 }) ?? 3000;
  const ackRetryMs = r.number(nats, "ackRetryMs", "nats", { min: 50, max: 600_000 }) ?? 5000;

  const sensors = readSensors(r, top["sensors"], path);
  const runtime = readRuntime(r, top["runtime"], base, device ?? "");
  const power = readPower(r, top["power"]);

  const samplePeriodMs =
    r.number(top, "samplePeriodMs", "", { integer: true, min: 50, max: 3_600_000 }) ?? 1000;
  const dataDir = path(r.string(top, "dataDir", "", { required: true }));
  const spoolObj = r.object(top["spool"], "spool") ?? {};
  r.unknownKeys(spoolObj, "spool", ["maxSize"]);
  let maxBytes = 64 * 2 ** 20;
  const rawMax = spoolObj["maxSize"];
  if (rawMax !== undefined) {
    try {
      maxBytes = parseMemoryBytes(rawMax as string | number);
      if (maxBytes < 64 * 1024) r.problem("spool.maxSize", `must be at least 64Ki, got ${String(rawMax)}`);
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      r.problem(
        "spool.maxSize",
        `size must look like 64Mi, 512Ki or a number of bytes, got ${String(rawMax)}`,
      );
    }
  }
  const httpObj = r.object(top["http"], "http") ?? {};
  r.unknownKeys(httpObj, "http", ["host", "port"]);
  const http = {
    host: r.string(httpObj, "host", "http") ?? "127.0.0.1",
    port: r.number(httpObj, "port", "http", { integer: true, min: 0, max: 65535 }) ?? 9464,
  };
  const logObj = r.object(top["log"], "log") ?? {};
  r.unknownKeys(logObj, "log", ["level"]);
  const level = (r.string(logObj, "level", "log", { oneOf: LOG_LEVELS }) ??
    "info") as AgentConfig["log"]["level"];

  if (r.problems.length > 0 || !device || !region || !site || !tier || !dataDir)
    throw new AgentConfigError(file, r.problems);
  return {
    device,
    region,
    site,
    tier,
    labels,
    nats: {
      servers,
      credentialsFile,
      bundleDir,
      user,
      password,
      token,
      reconnectWaitMs,
      ackTimeoutMs,
      ackRetryMs,
    },
    sensors,
    runtime,
    power,
    samplePeriodMs,
    dataDir,
    spool: { maxBytes },
    http,
    log: { level },
  };
}
