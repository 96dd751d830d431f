// The fog lead's own entry point (also what the process tests bundle): `node fog.mjs run --config fog.yaml`.
// A configuration with problems prints every one of them and exits 2 with nothing started.

import { BundleError } from "@qonnect/pki";
import { FogConfigError, loadFogConfig } from "./config.js";
import { startFogLead } from "./fog-lead.js";
import { FogIdentityError } from "./fog-security.js";
import { createFogLogger } from "./log.js";

const USAGE = "usage: qonnect-fog run --config fog.yaml\n";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const i = rest.findIndex((a) => a === "--config" || a === "-c");
  const file = i >= 0 ? rest[i + 1] : undefined;
  if (command !== "run" || !file) {
    process.stderr.write(USAGE);
    return 2;
  }
  let config: ReturnType<typeof loadFogConfig>;
  try {
    config = loadFogConfig(file);
  } catch (err) {
    if (!(err instanceof FogConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${p}\n`);
    process.stderr.write("fix the configuration above and start the fog lead again; nothing was started\n");
    return 2;
  }
  const log = createFogLogger(config.log.level);
  let lead: Awaited<ReturnType<typeof startFogLead>>;
  try {
    lead = await startFogLead(config, log);
  } catch (err) {
    if (!(err instanceof FogIdentityError || err instanceof BundleError)) throw err;
    process.stderr.write(`${err.message}\nnothing was started\n`);
    return 2;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  log.info({}, "stopping");
  await lead.stop();
  log.flush();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
