// The Knowledge Base as an OS process (`qonnect kb serve`), its tokens made the way an operator makes them
// (`qonnect kb token create` on its data directory), and its readiness.
import { join } from "node:path";
import { cliArgv, cliOk, REPO_ROOT } from "./cli-process.js";
import type { FederationPki } from "./federation-pki.js";
import { OsProcess } from "./os-process.js";

export interface KbTokens {
  admin: string;
  operator: string;
  viewer: string;
}

/** One bearer token per role, created offline on the Knowledge Base's data directory. */
export async function createKbTokens(dataDir: string): Promise<KbTokens> {
  const token = async (role: string) =>
    (
      JSON.parse(
        await cliOk([
          "kb",
          "token",
          "create",
          "--role",
          role,
          "--data",
          dataDir,
          "--description",
          "demo",
          "--json",
        ]),
      ) as { token: string }
    ).token;
  return { admin: await token("admin"), operator: await token("operator"), viewer: await token("viewer") };
}

export interface KbSpawnOptions {
  dataDir: string;
  /** HOST:PORT of the control API (gRPC) and of the REST API. */
  grpc: string;
  http: string;
  natsUrls: string[];
  security: FederationPki | undefined;
}

/** Starts `qonnect kb serve` (with its own bundle when the federation is secure). */
export async function spawnKb(o: KbSpawnOptions): Promise<OsProcess> {
  const identity = o.security
    ? ["--bundle", await o.security.enroll({ region: "cloud", role: "kb", id: "kb" })]
    : ["--insecure"];
  const { command, args } = cliArgv([
    "kb",
    "serve",
    "--data",
    o.dataDir,
    "--grpc",
    o.grpc,
    "--http",
    o.http,
    "--nats",
    ...o.natsUrls,
    ...identity,
  ]);
  return new OsProcess({ label: "kb", command, args, logFile: join(o.dataDir, "kb.log"), cwd: REPO_ROOT });
}
