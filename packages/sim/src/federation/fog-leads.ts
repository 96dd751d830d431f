// A region's fog leads as OS processes (`qonnect fog run`): each with its data directory, config, log and a
// bundle of its own when the federation is secure; they form the region's Raft group over gRPC.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@qonnect/natsd";
import { cliArgv, REPO_ROOT } from "./cli-process.js";
import { fogConfig, writeYaml } from "./configs.js";
import type { FederationPki } from "./federation-pki.js";
import { OsProcess } from "./os-process.js";
import { httpOk, waitUntil } from "./start-wait.js";

export interface FogLeadProcess {
  region: string;
  id: number;
  grpc: string;
  http: string;
  configFile: string;
  process: OsProcess;
}

export interface FogLeadsOptions {
  /** The federation's working directory (the leads go under fog/<region>/<id>). */
  dir: string;
  region: string;
  count: number;
  /** The region's leafnode. */
  natsUrl: string;
  kbGrpc: string;
  security: FederationPki | undefined;
}

/** Starts `count` fog leads of one region and waits until every one is ready (a leader elected). */
export async function startFogLeads(o: FogLeadsOptions): Promise<FogLeadProcess[]> {
  const peers: Record<string, string> = {};
  for (let id = 1; id <= o.count; id++) peers[String(id)] = `127.0.0.1:${await freePort()}`;
  const leads: FogLeadProcess[] = [];
  for (let id = 1; id <= o.count; id++) {
    const dataDir = join(o.dir, "fog", o.region, String(id));
    mkdirSync(dataDir, { recursive: true });
    const http = `127.0.0.1:${await freePort()}`;
    const configFile = join(dataDir, "..", `fog-${id}.yaml`);
    const security = o.security
      ? {
          bundleDir: await o.security.enroll(
            { region: o.region, role: "fog", id: `fog-${id}` },
            { nats: [o.natsUrl], fog: Object.values(peers), kb: o.kbGrpc },
          ),
          crlFile: o.security.crlFile,
        }
      : undefined;
    writeYaml(
      configFile,
      fogConfig({
        region: o.region,
        member: id,
        peers,
        dataDir,
        natsUrl: o.natsUrl,
        kbGrpc: o.kbGrpc,
        http,
        ...(security ? { security } : {}),
      }),
    );
    leads.push({
      region: o.region,
      id,
      grpc: peers[String(id)] ?? "",
      http,
      configFile,
      process: spawnFogLead(configFile, o.region, id),
    });
  }
  await waitUntil(
    `the fog leads of ${o.region}`,
    async () => (await Promise.all(leads.map((l) => httpOk(`http://${l.http}/readyz`)))).every(Boolean),
    60_000,
  );
  return leads;
}

/** One fog lead's process from its config file (a first start or a restart with its data as it was). */
export function spawnFogLead(configFile: string, region: string, id: number): OsProcess {
  const { command, args } = cliArgv(["fog", "run", "--config", configFile]);
  return new OsProcess({
    label: `fog ${region}/${id}`,
    command,
    args,
    logFile: configFile.replace(/\.yaml$/, ".log"),
    cwd: REPO_ROOT,
  });
}
