import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatDiagnostic, registeredKind, validateFile } from "@qonnect/core";
import { runFederationDemo } from "@qonnect/sim";
import { buildCli } from "../bundle.js";
import { describeManifest } from "../describe.js";
import { CliError, EXIT } from "../io.js";
import { renderPlan } from "../plan/render.js";
import type { Register } from "./index.js";
import { planFiles } from "./plan.js";

/**
 * The federation's processes run the bundled CLI (one file, about a second to start, where compiling the sources
 * with tsx takes several): this very file when `qonnect` runs from its bundle, else a fresh bundle of the sources.
 */
async function cliBundle(say: (line: string) => void): Promise<string> {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith(".mjs")) return self;
  const out = resolve(import.meta.dirname, "../../../../.qonnect/demo/qonnect.mjs");
  const t0 = Date.now();
  await buildCli(out);
  say(`bundled the CLI for the federation's processes (${Date.now() - t0} ms)`);
  return out;
}

/**
 * `qonnect demo`: the main end-to-end path that exists today. It validates every example manifest and says
 * what each describes, then plans Bookinfo onto the nine-site inventory; later stages (the federation) join
 * here as they are built.
 */
export const registerDemo: Register = (program, io, outcome) => {
  program
    .command("demo")
    .description("run the end-to-end demo on the examples")
    .option("--examples <dir>", "folder of example manifests", "examples")
    .option("--no-live", "skip step 3 (the federation as real processes)")
    .option("--serve", "start the federation, apply Bookinfo and leave it running until Ctrl-C")
    .option(
      "--state <file>",
      "with --serve: write the federation's addresses, PIDs and tokens here",
      ".qonnect/demo/state.json",
    )
    .option(
      "--insecure",
      "run the federation in plaintext (no PKI: NATS without auth, gRPC and HTTP without TLS); secure by default",
    )
    .action(
      async (opts: {
        examples: string;
        live: boolean;
        serve?: boolean;
        state: string;
        insecure?: boolean;
      }) => {
        if (opts.serve) {
          const stop = new Promise<void>((done) => {
            process.once("SIGINT", () => done());
            process.once("SIGTERM", () => done());
          });
          await runFederationDemo({
            cliBundle: await cliBundle((line) => io.err(`${line}\n`)),
            serve: true,
            stateFile: resolve(io.cwd, opts.state),
            stopSignal: stop,
            say: (line) => io.err(`${line}\n`),
            ...(opts.insecure ? { insecure: true } : {}),
          });
          return;
        }
        const dir = resolve(io.cwd, opts.examples);
        let files: string[];
        try {
          files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
        } catch (err) {
          throw new CliError(
            `cannot read the examples folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; run from the repository root or pass --examples DIR`,
            EXIT.usage,
          );
        }
        io.out(
          `qonnect demo — step 1/3: validate and describe ${files.length} manifests in ${relative(io.cwd, dir) || "."}\n\n`,
        );
        for (const name of files) {
          const result = await validateFile(join(dir, name));
          if (!result.ok) {
            for (const d of result.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
            outcome.exitCode = EXIT.failed;
            continue;
          }
          for (const doc of result.documents) io.out(`${name}: ${describeManifest(doc.manifest)}\n`);
          // kinds defined in other packages (Microgrid) describe themselves
          for (const doc of result.extensions) {
            const describe = registeredKind(doc.manifest.kind)?.describe;
            const text =
              describe?.(doc.manifest as never) ?? `${doc.manifest.kind} ${doc.manifest.metadata.name}\n`;
            io.out(`${name}: ${text}\n`);
          }
        }
        const app = join(dir, "bookinfo.yaml");
        const inventory = join(dir, "inventory-9-sites.yaml");
        if (!existsSync(app) || !existsSync(inventory)) return;
        io.out(`\nqonnect demo — step 2/3: plan Bookinfo onto the nine-site inventory (qonnect plan)\n\n`);
        const planned = await planFiles(io, { files: [app], inventory });
        if (!planned) {
          outcome.exitCode = EXIT.failed;
          return;
        }
        for (const p of planned.plans) {
          renderPlan(io, planned.inventory, p, false);
          if (!p.feasible) {
            for (const line of p.problems) io.err(`${line}\n`);
            outcome.exitCode = EXIT.failed;
          }
        }
        if (!opts.live) return;
        io.out(
          "\nqonnect demo — step 3/3: the federation as real processes (NATS cluster and leafnodes, Knowledge Base, 3 fog leads per region, one agent per device), then faults\n\n",
        );
        const say = (line: string) => io.out(`${line}\n`);
        const result = await runFederationDemo({
          cliBundle: await cliBundle(say),
          say,
          ...(opts.insecure ? { insecure: true } : {}),
        });
        io.out(`\n${result.table}\n`);
        if (result.steps.length === 0 || result.steps.some((s) => !s.ok)) {
          io.err("the federation demo did not behave as expected (see above)\n");
          outcome.exitCode = EXIT.failed;
        }
      },
    );
};
