import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseMemoryBytes, QuantityError, type Tier } from "@qonnect/core";
import { parse as loadYaml } from "yaml";

// core's TIERS lives beside its zod manifest schemas; importing it would load zod into the agent (~8 MB RSS)
const TIERS: readonly Tier[] = ["cloud", "fog", "edge"];

import { FieldReader, join } from "./fields.js";

/** One explicitly configured power or battery source. */
export type SensorSpec =
  | { kind: "ina219"; bus: number; address: number; shuntResistanceOhm: number; maxCurrentA: number }
  | { kind: "hwmon"; path: string }
  | { kind: "ina3221"; path: string; channel: number }
  | { kind: "power_supply"; name: string }
  | { kind: "ups-hat"; bus: number; address: number };

/** What the emulated INA219 on a virtual I2C bus reports (sensors.mode = emulate). */
export interface EmulatedSensorSpec {
  busVoltageV: number;
  currentA: number;
  shuntResistanceOhm: number;
  /**
   * A JSON file `{"busVoltageV", "currentA"}` that an outside electrical model (the simulated HIL rig) keeps
   * current; when set, the emulator reads the truth from it (re-read at most every 100 ms) instead of the
   * constants above, so a rig's meter and the agent's own sensor see the same load.
   */
  truthFile?: string;
}

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
  };
  sensors: { mode: "auto" | "explicit" | "emulate"; devices: SensorSpec[]; emulate: EmulatedSensorSpec };
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

const NAME = {
  re: /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
  message: "must be a lowercase DNS label (a-z, 0-9, -)",
};
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
/** The shunt resistance's earlier key, still read so existing agent.yaml files keep working. */
const LEGACY_SHUNT_KEY = "shuntOhms";
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const SENSOR_KINDS = ["ina219", "hwmon", "ina3221", "power_supply", "ups-hat"] as const;

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

  const sensors = readSensors(r, top["sensors"]);
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
    nats: { servers, credentialsFile, bundleDir, user, password, token, reconnectWaitMs },
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

function readSensors(r: FieldReader, value: unknown): AgentConfig["sensors"] {
  const emulate: EmulatedSensorSpec = { busVoltageV: 5.1, currentA: 0.6, shuntResistanceOhm: 0.1 };
  if (value === "auto" || value === "emulate") return { mode: value, devices: [], emulate };
  if (typeof value === "string") {
    r.problem("sensors", `must be auto, emulate or a mapping with mode, got "${value}"`);
    return { mode: "auto", devices: [], emulate };
  }
  const obj = r.object(value, "sensors") ?? {};
  r.unknownKeys(obj, "sensors", ["mode", "devices", "emulate"]);
  const mode = (r.string(obj, "mode", "sensors", { oneOf: ["auto", "explicit", "emulate"] }) ??
    "auto") as AgentConfig["sensors"]["mode"];
  const em = r.object(obj["emulate"], "sensors.emulate") ?? {};
  r.unknownKeys(em, "sensors.emulate", [
    "busVoltageV",
    "currentA",
    "shuntResistanceOhm",
    LEGACY_SHUNT_KEY,
    "truthFile",
  ]);
  const truthFile = r.string(em, "truthFile", "sensors.emulate");
  if (truthFile !== undefined) emulate.truthFile = truthFile;
  emulate.busVoltageV =
    r.number(em, "busVoltageV", "sensors.emulate", { min: 0, max: 32 }) ?? emulate.busVoltageV;
  emulate.currentA = r.number(em, "currentA", "sensors.emulate", { min: -3.2, max: 3.2 }) ?? emulate.currentA;
  emulate.shuntResistanceOhm =
    r.number(em, "shuntResistanceOhm", "sensors.emulate", { min: 0.001, max: 10 }) ??
    r.number(em, LEGACY_SHUNT_KEY, "sensors.emulate", { min: 0.001, max: 10 }) ??
    emulate.shuntResistanceOhm;
  const devices: SensorSpec[] = [];
  const list = obj["devices"];
  if (mode === "explicit" && (!Array.isArray(list) || list.length === 0))
    r.problem("sensors.devices", "mode explicit needs a non-empty list of sensors");
  if (Array.isArray(list))
    list.forEach((item, i) => {
      const at = join("sensors.devices", i);
      const s = r.object(item, at, true);
      if (!s) return;
      const kind = r.string(s, "kind", at, { required: true, oneOf: SENSOR_KINDS });
      const addr = () => r.number(s, "address", at, { integer: true, min: 0x03, max: 0x77 }) ?? 0x40;
      const bus = () => r.number(s, "bus", at, { integer: true, min: 0 }) ?? 1;
      if (kind === "ina219") {
        r.unknownKeys(s, at, [
          "kind",
          "bus",
          "address",
          "shuntResistanceOhm",
          LEGACY_SHUNT_KEY,
          "maxCurrentA",
        ]);
        devices.push({
          kind,
          bus: bus(),
          address: addr(),
          shuntResistanceOhm:
            r.number(s, "shuntResistanceOhm", at, { min: 0.0001 }) ??
            r.number(s, LEGACY_SHUNT_KEY, at, { min: 0.0001 }) ??
            0.1,
          maxCurrentA: r.number(s, "maxCurrentA", at, { min: 0.001 }) ?? 3.2,
        });
      } else if (kind === "hwmon") {
        r.unknownKeys(s, at, ["kind", "path"]);
        devices.push({ kind, path: r.string(s, "path", at, { required: true }) ?? "" });
      } else if (kind === "ina3221") {
        r.unknownKeys(s, at, ["kind", "path", "channel"]);
        const channel = r.number(s, "channel", at, { integer: true, min: 1, max: 3 }) ?? 1;
        devices.push({ kind, path: r.string(s, "path", at, { required: true }) ?? "", channel });
      } else if (kind === "power_supply") {
        r.unknownKeys(s, at, ["kind", "name"]);
        devices.push({ kind, name: r.string(s, "name", at, { required: true }) ?? "" });
      } else if (kind === "ups-hat") {
        r.unknownKeys(s, at, ["kind", "bus", "address"]);
        devices.push({ kind, bus: bus(), address: addr() });
      }
    });
  return { mode, devices, emulate };
}

function readRuntime(r: FieldReader, value: unknown, base: string, device: string): AgentConfig["runtime"] {
  const obj = typeof value === "string" ? { kind: value } : (r.object(value, "runtime") ?? {});
  r.unknownKeys(obj, "runtime", [
    "kind",
    "workDir",
    "stopGraceMs",
    "kubeconfig",
    "namespace",
    "node",
    "sandbox",
  ]);
  const sb = obj["sandbox"] === undefined ? undefined : (r.object(obj["sandbox"], "runtime.sandbox") ?? {});
  if (sb)
    r.unknownKeys(sb, "runtime.sandbox", [
      "uid",
      "gid",
      "addressSpaceBytes",
      "processes",
      "cpuSeconds",
      "openFiles",
    ]);
  const limit = (key: string) =>
    sb ? r.number(sb, key, "runtime.sandbox", { integer: true, min: 1 }) : undefined;
  const uid = sb
    ? r.number(sb, "uid", "runtime.sandbox", { integer: true, min: 1, max: 2 ** 31 })
    : undefined;
  const gid = sb
    ? r.number(sb, "gid", "runtime.sandbox", { integer: true, min: 1, max: 2 ** 31 })
    : undefined;
  if (sb && (uid === undefined || gid === undefined))
    r.problem("runtime.sandbox", "uid and gid are required (a user of its own, not the agent's)");
  const sandbox =
    sb && uid !== undefined && gid !== undefined
      ? {
          uid,
          gid,
          addressSpaceBytes: limit("addressSpaceBytes"),
          processes: limit("processes"),
          cpuSeconds: limit("cpuSeconds"),
          openFiles: limit("openFiles"),
        }
      : undefined;
  const kind = (r.string(obj, "kind", "runtime", { oneOf: ["process", "k3s"] }) ?? "process") as
    | "process"
    | "k3s";
  const workDir = r.string(obj, "workDir", "runtime");
  const kubeconfig = r.string(obj, "kubeconfig", "runtime");
  return {
    kind,
    workDir: workDir === undefined ? process.cwd() : resolve(base, workDir),
    stopGraceMs: r.number(obj, "stopGraceMs", "runtime", { integer: true, min: 0, max: 600_000 }) ?? 5000,
    ...(sandbox ? { sandbox } : {}),
    kubeconfig: kubeconfig === undefined ? undefined : resolve(base, kubeconfig),
    namespace: r.string(obj, "namespace", "runtime", { pattern: NAME }) ?? "qonnect",
    node: r.string(obj, "node", "runtime") ?? device,
  };
}

function readPower(r: FieldReader, value: unknown): PowerProfile {
  const obj = r.object(value, "power") ?? {};
  r.unknownKeys(obj, "power", ["idleW", "maxW", "gamma"]);
  const idleW = r.number(obj, "idleW", "power", { min: 0 }) ?? 3;
  const maxW = r.number(obj, "maxW", "power", { min: 0 }) ?? 8;
  const gamma = r.number(obj, "gamma", "power", { min: 0.1, max: 10 }) ?? 1;
  if (maxW < idleW) r.problem("power.maxW", `must be at least power.idleW (${idleW}), got ${maxW}`);
  return { idleW, maxW, gamma };
}
