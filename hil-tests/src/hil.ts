// `pnpm hil --rig RIG.yaml [--select label=value]… [--json] [--out DIR]`: loads and validates the rig file,
// brings the rig up (simulated: the whole region on this machine; real: the drivers of real-rig.ts), runs
// the selected tests and writes report.md and report.json into DIR. Exit 0 when every applicable test
// passed, 1 when one failed, 2 for a bad rig file (or a bundle that does not name its board) or bad arguments.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ManifestError } from "@qonnect/core";
import { bundleCli } from "@qonnect/testkit";
import { RealRig } from "./real-rig.js";
import { type SuiteReport, toMarkdown } from "./report.js";
import { RigBundleError } from "./rig-bundles.js";
import { parseRig } from "./rig-manifest.js";
import { HIL_APP, type RigUnderTest } from "./rig-under-test.js";
import { runSuite } from "./runner.js";
import { parseSelectors, SelectorError, selectBoards, selectTests } from "./selection.js";
import { SimRig } from "./sim-rig.js";
import { SUITE } from "./suite/all-tests.js";
import { replicasAnswer } from "./suite/placements.js";

export class HilUsageError extends Error {
  override name = "HilUsageError";
}

/** The rig came up but the suite's application did not (see the rig's logs; --keep keeps them). */
export class HilRigNotReadyError extends Error {
  override name = "HilRigNotReadyError";
}

export interface HilOptions {
  rigFile: string;
  select: string[];
  outDir: string;
  say: (line: string) => void;
  /** Keep the simulated rig's working directory (logs, data). */
  keepDir?: boolean;
  /**
   * Called once the rig is up with what stops it (relays to their safe state, processes stopped), so that a
   * signal can stop it too; `runHil` calls it itself when it ends. Idempotent.
   */
  onRigUp?: (stopRig: () => Promise<void>) => void;
}

export async function runHil(o: HilOptions): Promise<{ report: SuiteReport; files: string[] }> {
  const startedMs = Date.now();
  let text: string;
  try {
    text = readFileSync(o.rigFile, "utf8");
  } catch (err) {
    throw new HilUsageError(
      `cannot read ${o.rigFile}: ${(err as NodeJS.ErrnoException).code}; pass --rig FILE`,
    );
  }
  const manifest = parseRig(text, o.rigFile);
  const selectors = parseSelectors(o.select);
  const boards = selectBoards(manifest.spec.boards, selectors);
  const devices = boards.filter((b) => b.role === "device");
  const tests = selectTests(SUITE, selectors);
  const t0 = Date.now();
  const say = (line: string) => o.say(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  let rig: RigUnderTest;
  let workDir: string | undefined;
  if (manifest.spec.simulated) {
    workDir = mkdtempSync(join(tmpdir(), "qonnect-hil-"));
    say(`simulated rig ${manifest.metadata.name}: building the CLI bundle, starting the region (${workDir})`);
    rig = await SimRig.start(manifest, { dir: workDir, cliBundle: bundleCli(), devices, say });
  } else {
    say(`rig ${manifest.metadata.name}: opening relays, meters and network control`);
    rig = await RealRig.open(manifest, { devices, baseDir: dirname(resolve(o.rigFile)) });
  }
  let stopping: Promise<void> | undefined;
  const stopRig = () => {
    stopping ??= (async () => {
      say("stopping the rig: every relay to its safe state");
      await rig.stop();
      if (workDir && !o.keepDir) rmSync(workDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  o.onRigUp?.(stopRig);
  let report: SuiteReport;
  try {
    say(`waiting until both replicas of ${HIL_APP} are placed and answer`);
    if (!(await replicasAnswer(rig, 300)))
      throw new HilRigNotReadyError(`${HIL_APP} did not come up on the rig's boards within 300 s`);
    report = await runSuite(rig, tests, { selectors: o.select, say, startedMs });
  } finally {
    await stopRig();
  }
  mkdirSync(o.outDir, { recursive: true });
  const files = [join(o.outDir, "report.md"), join(o.outDir, "report.json")];
  writeFileSync(files[0]!, toMarkdown(report));
  writeFileSync(files[1]!, `${JSON.stringify(report, null, 2)}\n`);
  return { report, files };
}

const USAGE = "usage: pnpm hil --rig RIG.yaml [--select label=value]… [--json] [--out DIR] [--keep]";

/** The command line around runHil; returns the exit code. */
export async function main(
  argv: string[],
  io = { out: process.stdout, err: process.stderr },
): Promise<number> {
  let rigFile: string | undefined;
  const select: string[] = [];
  let json = false;
  let outDir = "hil-report";
  let keepDir = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--rig") rigFile = argv[++i];
    else if (a === "--select") select.push(argv[++i] ?? "");
    else if (a === "--json") json = true;
    else if (a === "--out") outDir = argv[++i] ?? outDir;
    else if (a === "--keep") keepDir = true;
    else if (a === "--help" || a === "-h") {
      io.out.write(`${USAGE}\n`);
      return 0;
    } else {
      io.err.write(`unknown argument ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  if (!rigFile) {
    io.err.write(`--rig is required\n${USAGE}\n`);
    return 2;
  }
  // Ctrl-C, kill or a crash stops the rig first: no board left powered, no region process left behind
  let stopRig: (() => Promise<void>) | undefined;
  let exitCode: number | undefined;
  const stopAndExit = (stop: () => Promise<void>, code: number) =>
    void stop().finally(() => process.exit(code));
  const end = (why: string, code: number) => {
    if (exitCode !== undefined) return;
    exitCode = code;
    io.err.write(`${why}: stopping the rig before exiting\n`);
    // a rig still starting is stopped as soon as it is up (onRigUp below)
    if (stopRig) stopAndExit(stopRig, code);
  };
  const onSignal = (signal: NodeJS.Signals) => end(signal, 128 + (signal === "SIGINT" ? 2 : 15));
  const onCrash = (err: unknown) => {
    io.err.write(`${(err as Error)?.stack ?? String(err)}\n`);
    end("uncaught error", 1);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  try {
    const { report, files } = await runHil({
      rigFile: resolve(rigFile),
      select,
      outDir: resolve(outDir),
      keepDir,
      say: (line) => io.err.write(`${line}\n`),
      onRigUp: (stop) => {
        stopRig = stop;
        if (exitCode !== undefined) stopAndExit(stop, exitCode);
      },
    });
    if (json) io.out.write(`${JSON.stringify(report)}\n`);
    else io.out.write(`${toMarkdown(report)}\n`);
    io.err.write(`report: ${files.join(", ")}\n`);
    return report.outcome === "PASS" ? 0 : 1;
  } catch (err) {
    if (
      err instanceof ManifestError ||
      err instanceof SelectorError ||
      err instanceof HilUsageError ||
      err instanceof RigBundleError
    ) {
      io.err.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  }
}
