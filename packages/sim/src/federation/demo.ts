// `qonnect demo`'s federation part: start everything, tell the story, print the measured times beside the
// anchors, stop everything by PID. With `serve`, leave it running (state file written) until a signal.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, useBundledCli } from "./cli-process.js";
import { Federation } from "./federation.js";
import { writeStateFile } from "./state-file.js";
import { type StepResult, Story } from "./story.js";

export interface FederationDemoOptions {
  say(line: string): void;
  /** Keep running after start-up until `stopSignal` resolves; the story is not told. */
  serve?: boolean;
  stateFile?: string;
  stopSignal?: Promise<void>;
  /** The bundled CLI (faster process start), if the caller built one. */
  cliBundle?: string;
  inventoryFile?: string;
  /** Keep the working directory (logs, data) after stopping. */
  keepDir?: boolean;
  /** Plaintext everywhere (the demo's `--insecure` opt-out); secure by default. */
  insecure?: boolean;
}

export interface FederationDemoResult {
  steps: StepResult[];
  table: string;
  dir: string;
}

export async function runFederationDemo(o: FederationDemoOptions): Promise<FederationDemoResult> {
  if (o.cliBundle) useBundledCli(o.cliBundle);
  const dir = mkdtempSync(join(tmpdir(), "qonnect-federation-"));
  const t0 = Date.now();
  const fed = await Federation.start({
    dir,
    inventoryFile: o.inventoryFile ?? join(REPO_ROOT, "examples/inventory-9-sites.yaml"),
    say: (line) => o.say(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`),
    ...(o.insecure ? { insecure: true } : {}),
  });
  const story = new Story(fed, o.say);
  try {
    if (o.serve) {
      await story.applyBookinfo();
      if (o.stateFile) writeStateFile(o.stateFile, fed.state());
      o.say(`dashboard: ${fed.kb.http}/?token=${fed.tokens.viewer}`);
      o.say(`control API: gRPC ${fed.kb.grpc}, HTTP ${fed.kb.http}; operator token ${fed.tokens.operator}`);
      if (fed.security)
        o.say(
          `secure: the CA is ${fed.security.caFile} (qonnect get apps --server ${fed.kb.grpc} --ca ${fed.security.caFile} --token …)`,
        );
      o.say(`NATS: ${fed.nats.cloudUrls().join(", ")}${o.stateFile ? `; state in ${o.stateFile}` : ""}`);
      o.say("running; Ctrl-C stops everything");
      await o.stopSignal;
    } else {
      const applied = await story.applyBookinfo();
      if (applied.ok) {
        const lost = await story.killDevice();
        const region = fed.devices.get(lost.victim)?.device.region ?? "eu-central";
        await story.killLeader(region, lost.ok ? lost.victim : undefined);
        await story.kbAway();
      }
    }
  } finally {
    o.say("stopping every process the demo started");
    await fed.stop();
    if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
  }
  return { steps: story.results, table: story.table(), dir };
}
