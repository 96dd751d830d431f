import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { formatDiagnostic, registeredKind, validateFile } from "@qonnect/core";
import { describeManifest } from "../describe.js";
import { EXIT } from "../io.js";
import type { Register } from "./index.js";
import { planFiles, renderPlan } from "./plan.js";

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
    .action(async (opts: { examples: string }) => {
      const dir = resolve(io.cwd, opts.examples);
      const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
      io.out(
        `qonnect demo — step 1/2: validate and describe ${files.length} manifests in ${relative(io.cwd, dir) || "."}\n\n`,
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
      io.out(`\nqonnect demo — step 2/2: plan Bookinfo onto the nine-site inventory (qonnect plan)\n\n`);
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
    });
};
