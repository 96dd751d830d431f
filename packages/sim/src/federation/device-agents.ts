// A device of the inventory as an OS process: `qonnect agent run` with an emulated INA219, battery and solar,
// in a PID namespace of its own (killing it is a power cut) and, for a site behind a cable, inside the
// site's network namespace.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Device } from "@qonnect/core";
import { cliArgv, REPO_ROOT } from "./cli-process.js";
import { agentConfig, solarFileOf, writeYaml } from "./configs.js";
import { OsProcess } from "./os-process.js";
import type { SiteNet } from "./site-net.js";

export interface DeviceProcess {
  device: Device;
  configFile: string;
  process: OsProcess;
}

export interface DeviceAgentOptions {
  /** The federation's working directory (the device goes under devices/<name>). */
  dir: string;
  device: Device;
  /** The region's leafnode (used when the device's site has no network namespace). */
  natsUrl: string;
  samplePeriodMs: number;
  /** The site's network namespace, if it has one: the agent runs inside it and reaches NATS over the veth. */
  net: SiteNet | undefined;
  /** The device's enrolment bundle (secure federation). */
  bundleDir: string | undefined;
}

/** The working directory of a device's agent (config, data, log, the emulated panel's solar file). */
export const deviceDirOf = (dir: string, name: string) => join(dir, "devices", name);

/** Writes the agent's config and starts it. */
export function spawnDeviceAgent(o: DeviceAgentOptions): DeviceProcess {
  const dataDir = deviceDirOf(o.dir, o.device.name);
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(dataDir, "agent.yaml");
  writeYaml(
    configFile,
    agentConfig({
      device: o.device,
      natsUrl: o.net?.natsUrl ?? o.natsUrl,
      dataDir: join(dataDir, "data"),
      workDir: REPO_ROOT,
      samplePeriodMs: o.samplePeriodMs,
      solarFile: solarFileOf(dataDir),
      ...(o.bundleDir ? { bundleDir: o.bundleDir } : {}),
    }),
  );
  const { command, args } = cliArgv(["agent", "run", "--config", configFile]);
  const process = new OsProcess({
    label: `device ${o.device.name}`,
    command,
    args,
    logFile: join(dataDir, "agent.log"),
    cwd: REPO_ROOT,
    pidNamespace: true,
    ...(o.net ? { wrap: o.net.wrap } : {}),
  });
  return { device: o.device, configFile, process };
}
