import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type AgentConfig, AgentConfigError, parseAgentConfig } from "@qonnect/agent";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { DeviceConfigError } from "./errors.js";

/** The files of an enrolment bundle (`qonnect enroll`, DESIGN.md §10), installed exactly as they are. */
export const CREDENTIAL_FILES = ["ca.pem", "cert.pem", "key.pem", "nats.creds", "identity.yaml"] as const;

/** `auto` turns a boot setting on where the board needs it (I2C for a Pi's sensors, cgroups for K3s). */
export type BootSwitch = "auto" | "on" | "off";

/** A validated device.yaml: what one board gets. */
export interface DeviceConfig {
  file: string;
  /** the text installed as /etc/qonnect/agent.yaml */
  agentYaml: string;
  agent: AgentConfig;
  /** the enrolment bundle directory */
  credentialsDir: string;
  boot: { i2c: BootSwitch; cgroup: BootSwitch };
  health: { windowS: number };
  keepReleases: number;
  /** join K3s as an agent node when the board has none: K3s' installer with K3S_URL and K3S_TOKEN */
  k3s?: { url: string; tokenFile: string; installer?: string };
}

const TOP_KEYS = ["agent", "credentials", "boot", "health", "keepReleases", "k3s"];
const SWITCHES: BootSwitch[] = ["auto", "on", "off"];

/** Parses and validates a device.yaml (every problem at once). Paths are relative to the file. */
export function parseDeviceConfig(text: string, file: string): DeviceConfig {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new DeviceConfigError(file, [(err as Error).message.split("\n")[0] ?? "invalid YAML"]);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new DeviceConfigError(file, ["must be a mapping"]);
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!TOP_KEYS.includes(key)) problems.push(`${key}: unknown field`);

  const agentObj = top.agent;
  let agent: AgentConfig | undefined;
  let agentYaml = "";
  if (!agentObj || typeof agentObj !== "object" || Array.isArray(agentObj)) {
    problems.push("agent: is required (the agent's configuration, as in agent.yaml)");
  } else {
    const withDefaults = { dataDir: "/var/lib/qonnect-agent", ...(agentObj as Record<string, unknown>) };
    agentYaml = `# written by qonnect flash from ${file}\n${toYaml(withDefaults)}`;
    try {
      agent = parseAgentConfig(agentYaml, "/etc/qonnect/agent.yaml");
    } catch (err) {
      if (err instanceof AgentConfigError) problems.push(...err.problems.map((p) => `agent.${p}`));
      else throw err;
    }
  }

  let credentialsDir = "";
  if (typeof top.credentials !== "string") {
    problems.push("credentials: is required (the directory `qonnect enroll` wrote for this device)");
  } else {
    credentialsDir = resolve(dirname(file), top.credentials);
    for (const name of CREDENTIAL_FILES)
      if (!existsSync(resolve(credentialsDir, name)))
        problems.push(`credentials: ${credentialsDir}/${name} is missing`);
  }

  const bootObj = (top.boot ?? {}) as Record<string, unknown>;
  const sw = (key: "i2c" | "cgroup"): BootSwitch => {
    const v = bootObj[key] ?? "auto";
    if (SWITCHES.includes(v as BootSwitch)) return v as BootSwitch;
    problems.push(`boot.${key}: must be one of auto, on, off, got ${JSON.stringify(v)}`);
    return "auto";
  };
  const boot = { i2c: sw("i2c"), cgroup: sw("cgroup") };
  const healthObj = (top.health ?? {}) as Record<string, unknown>;
  const windowS = healthObj.windowS ?? 60;
  if (typeof windowS !== "number" || windowS < 1)
    problems.push("health.windowS: must be a number of seconds ≥ 1");
  const keepReleases = top.keepReleases ?? 3;
  if (typeof keepReleases !== "number" || !Number.isInteger(keepReleases) || keepReleases < 2)
    problems.push("keepReleases: must be an integer ≥ 2 (the current release and one to roll back to)");

  let k3s: DeviceConfig["k3s"];
  if (top.k3s !== undefined) {
    const k = (top.k3s ?? {}) as Record<string, unknown>;
    const url = k.url;
    if (typeof url !== "string" || !/^https:\/\/[^\s/]+(:\d+)?\/?$/.test(url))
      problems.push("k3s.url: must look like https://server:6443 (the K3s server to join)");
    const tokenFile = typeof k.tokenFile === "string" ? resolve(dirname(file), k.tokenFile) : "";
    if (!tokenFile || !existsSync(tokenFile))
      problems.push(
        "k3s.tokenFile: a file with the server's node token (/var/lib/rancher/k3s/server/node-token) is required",
      );
    const installer = typeof k.installer === "string" ? resolve(dirname(file), k.installer) : undefined;
    if (installer && !existsSync(installer)) problems.push(`k3s.installer: ${installer} not found`);
    k3s = { url: String(url), tokenFile, installer };
  }
  if (problems.length || !agent) throw new DeviceConfigError(file, problems);
  return {
    file,
    agentYaml,
    agent,
    credentialsDir,
    boot,
    health: { windowS: windowS as number },
    keepReleases: keepReleases as number,
    k3s,
  };
}

export function loadDeviceConfig(file: string): DeviceConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new DeviceConfigError(file, ["file not found"]);
  return parseDeviceConfig(readFileSync(path, "utf8"), path);
}
