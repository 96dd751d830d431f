import { resolve } from "node:path";
import { formatDiagnostic, ManifestFileError, validateFile } from "@qonnect/core";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";

function reason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file (check the path)";
  if (code === "EISDIR") return "it is a directory; pass the YAML files inside it";
  if (code === "EACCES") return "permission denied";
  return (cause as Error).message;
}

export const registerValidate: Register = (program, io, outcome) => {
  program
    .command("validate")
    .description(
      "validate manifests (Application, Job, Inventory, Microgrid); lists every error as file:line:col",
    )
    .requiredOption("-f, --file <file...>", "manifest files (YAML, --- separated documents)")
    .option("-q, --quiet", "print errors only")
    .action(async (opts: { file: string[]; quiet?: boolean }) => {
      let failed = false;
      for (const file of opts.file) {
        let result: Awaited<ReturnType<typeof validateFile>>;
        try {
          result = await validateFile(resolve(io.cwd, file));
        } catch (err) {
          if (err instanceof ManifestFileError)
            throw new CliError(`cannot read ${file}: ${reason(err.cause)}`, EXIT.usage);
          throw err;
        }
        for (const d of result.diagnostics) io.err(`${formatDiagnostic({ ...d, file })}\n`);
        if (result.ok && !opts.quiet) {
          const kinds = [...result.documents, ...result.extensions].map(
            (d) => `${d.manifest.kind}/${d.manifest.metadata.name}`,
          );
          io.out(`${file}: ok (${kinds.join(", ") || "no documents"})\n`);
        }
        failed ||= !result.ok;
      }
      if (failed) {
        io.err("fix the errors above and run validate again\n");
        outcome.exitCode = EXIT.failed;
      }
    });
};
