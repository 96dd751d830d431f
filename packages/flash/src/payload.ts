import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CREDENTIAL_FILES, type DeviceConfig } from "./device-config.js";
import { ReleaseError } from "./errors.js";
import { boardScript, shellQuote } from "./firmware-scripts.js";
import type { BoardFacts } from "./probe.js";
import { bufferFile, diskFile, type Release, type ShippedFile, sha256, sumsText } from "./release.js";

/** Where things land on the board (fixed paths; the board script uses the same ones). */
export const BOARD_PATHS = {
  prefix: "/opt/qonnect",
  agentYaml: "/etc/qonnect/agent.yaml",
  /** where the enrolment bundle goes when the unit does not say (its LoadCredential= sources do) */
  credentials: "/etc/qonnect/bundle",
  unit: (service: string) => `/etc/systemd/system/${service}.service`,
  dropin: (service: string) => `/etc/systemd/system/${service}.service.d/10-qonnect-release.conf`,
} as const;

/** What the board script reads from settings.env. */
export interface PayloadSettings {
  RELEASE_VERSION: string;
  SERVICE: string;
  SERVICE_USER: string;
  HEALTH_URL: string;
  HEALTH_WINDOW_S: number;
  KEEP_RELEASES: number;
  I2C: "on" | "off";
  CGROUP: "on" | "off";
  GATE: "on" | "off";
  /** remove the payload directory after a successful apply (the SSH staging directory) */
  CLEANUP: "on" | "off";
  /** the K3s server to join as an agent node ("" for none) */
  K3S_URL: string;
  /** where the enrolment bundle goes (the unit's LoadCredential= sources) and who owns it */
  CREDENTIALS_DIR: string;
  CREDENTIALS_OWNER: string;
}

const credDirFor = (fromUnit?: string) => fromUnit ?? BOARD_PATHS.credentials;

/** A payload: the directory the board script's `apply` installs from (see firmware-scripts/qonnect-board.sh). */
export interface Payload {
  version: string;
  settings: PayloadSettings;
  files: ShippedFile[];
  /** sha256 of the payload's SHA256SUMS, handed to `apply` so a tampered staging directory is refused */
  sumsSha256: string;
  /** the installed files the board script compares: board path → payload file, mode and owner */
  targets: { boardPath: string; file: ShippedFile; mode: number; owner: string }[];
}

/**
 * The unit's `ExecStart=` (continuation lines joined), `User=`, and the directory its `LoadCredential=`
 * lines read the enrolment bundle from (systemd reads them as root and hands them to the service).
 */
export function readUnit(text: string): { execStart: string; user: string; credentialsDir?: string } {
  const joined = text.replace(/\\\n/g, " ");
  const cred = /^LoadCredential=[^:\s]+:(\/\S+)\/[^/\s]+$/m.exec(joined)?.[1];
  const exec = [...joined.matchAll(/^ExecStart=(.+)$/gm)].map((m) => m[1]?.trim() ?? "").filter(Boolean);
  const user = /^User=(\S+)/m.exec(joined)?.[1] ?? "";
  const execStart = exec.at(-1);
  if (!execStart) throw new ReleaseError("the agent unit has no ExecStart= line");
  return { execStart, user, credentialsDir: cred };
}

/**
 * The drop-in that points the unit's ExecStart at /opt/qonnect/current: the unit is installed as it is
 * (hardening included) and only the paths of the bundle (and of node, when the release ships one) change.
 */
export function dropinFor(unitText: string, release: Release): string {
  const { execStart } = readUnit(unitText);
  const words = execStart.split(/\s+/);
  const i = words.findIndex((w) => w.endsWith("qonnect-agent.mjs"));
  if (i < 0)
    throw new ReleaseError(
      "the agent unit's ExecStart does not run qonnect-agent.mjs; cannot point it at a release",
    );
  words[i] = `${BOARD_PATHS.prefix}/current/qonnect-agent.mjs`;
  if (release.hasNode && i > 0) {
    const prefix = /^[-@:+!]*/.exec(words[0] ?? "")?.[0] ?? "";
    words[0] = `${prefix}${BOARD_PATHS.prefix}/current/bin/node`;
  }
  return [
    "# written by qonnect flash: run the release that /opt/qonnect/current points at",
    "[Service]",
    "ExecStart=",
    `ExecStart=${words.join(" ")}`,
    "",
  ].join("\n");
}

export interface PayloadOptions {
  unitText: string;
  service?: string;
  /** the image mode installs at first boot without network: no health gate there */
  gate: boolean;
  /** apply removes the payload after success (SSH staging); the image mode's firstrun.sh removes its own */
  cleanup?: boolean;
  /** board facts from the probe; undefined for an image (a Raspberry Pi is assumed) */
  facts?: BoardFacts;
}

function isPi(facts?: BoardFacts): boolean {
  return !facts || /raspberry pi/i.test(facts.model);
}

export function buildPayload(release: Release, device: DeviceConfig, options: PayloadOptions): Payload {
  const service = options.service ?? "qonnect-agent";
  const { user, credentialsDir } = readUnit(options.unitText);
  const needsI2c = device.agent.sensors.mode !== "emulate" && isPi(options.facts);
  const needsCgroup = device.agent.runtime.kind === "k3s" && isPi(options.facts);
  const resolve = (sw: string, auto: boolean) => (sw === "on" || (sw === "auto" && auto) ? "on" : "off");
  const host = device.agent.http.host === "0.0.0.0" ? "127.0.0.1" : device.agent.http.host;
  const settings: PayloadSettings = {
    RELEASE_VERSION: release.version,
    SERVICE: service,
    SERVICE_USER: user,
    HEALTH_URL: `http://${host.includes(":") ? `[${host}]` : host}:${device.agent.http.port}`,
    HEALTH_WINDOW_S: device.health.windowS,
    KEEP_RELEASES: device.keepReleases,
    I2C: resolve(device.boot.i2c, needsI2c),
    CGROUP: resolve(device.boot.cgroup, needsCgroup),
    GATE: options.gate ? "on" : "off",
    CLEANUP: options.cleanup ? "on" : "off",
    K3S_URL: device.k3s?.url ?? "",
    CREDENTIALS_DIR: credDirFor(credentialsDir),
    CREDENTIALS_OWNER: credentialsDir ? "root" : user || "root",
  };
  const env = Object.entries(settings)
    .map(([k, v]) => `${k}=${shellQuote(String(v))}\n`)
    .join("");
  const owner = user || "root";
  const files: ShippedFile[] = [];
  const targets: Payload["targets"] = [];
  const add = (f: ShippedFile, boardPath?: string, mode = 0o644, fileOwner = "root:root") => {
    files.push(f);
    if (boardPath) targets.push({ boardPath, file: f, mode, owner: fileOwner });
  };
  add(bufferFile("qonnect-board.sh", boardScript(), 0o755));
  add(bufferFile("settings.env", Buffer.from(env)));
  for (const f of release.files) add({ ...f, path: `release/${f.path}` });
  add(
    bufferFile("etc/agent.yaml", Buffer.from(device.agentYaml), 0o600),
    BOARD_PATHS.agentYaml,
    0o640,
    `root:${owner}`,
  );
  const present = new Set(readdirSync(device.credentialsDir));
  // LoadCredential=: root's files, handed to the service by systemd; otherwise the service user reads them
  const credOwner = credentialsDir ? "root:root" : `${owner}:${owner}`;
  const credDir = credentialsDir ?? BOARD_PATHS.credentials;
  for (const name of CREDENTIAL_FILES)
    if (present.has(name))
      add(
        diskFile(`etc/credentials/${name}`, join(device.credentialsDir, name), 0o600),
        `${credDir}/${name}`,
        0o600,
        credOwner,
      );
  if (device.k3s) {
    add(diskFile("etc/k3s-token", device.k3s.tokenFile, 0o600));
    if (device.k3s.installer) add(diskFile("etc/k3s-install.sh", device.k3s.installer, 0o700));
  }
  add(bufferFile("etc/unit", Buffer.from(options.unitText)), BOARD_PATHS.unit(service));
  add(
    bufferFile("etc/dropin.conf", Buffer.from(dropinFor(options.unitText, release))),
    BOARD_PATHS.dropin(service),
  );
  const sums = Buffer.from(sumsText(files));
  files.push(bufferFile("SHA256SUMS", sums));
  return { version: release.version, settings, files, sumsSha256: sha256(sums), targets };
}

/** The unit file's text, read by path (infra/systemd/qonnect-agent.service unless --unit says otherwise). */
export function readUnitFile(path: string): string {
  return readFileSync(path, "utf8");
}
