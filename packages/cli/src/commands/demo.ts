import { readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { formatDiagnostic, validateFile } from "@qonnect/core";
import { describeManifest } from "../describe.js";
import { EXIT } from "../io.js";
import type { Register } from "./index.js";

/**
 * `qonnect demo`: the main end-to-end path that exists today. It validates every example manifest and says
 * what each describes; later stages (planning, the federation) join here as they are built.
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
        `qonnect demo — step 1/1: validate and describe ${files.length} manifests in ${relative(io.cwd, dir) || "."}\n\n`,
      );
      for (const name of files) {
        const result = await validateFile(join(dir, name));
        if (!result.ok) {
          for (const d of result.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
          outcome.exitCode = EXIT.failed;
          continue;
        }
        for (const doc of result.documents) io.out(`${name}: ${describeManifest(doc.manifest)}\n`);
      }
    });
};
