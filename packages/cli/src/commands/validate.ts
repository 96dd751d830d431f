import { resolve } from "node:path";
import { type Diagnostic, formatDiagnostic, ManifestFileError, validateFile } from "@qonnect/core";
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
    .option("--json", 'print one JSON object: {"ok", "files": [{"file", "ok", "documents", "diagnostics"}]}')
    .action(async (opts: { file: string[]; quiet?: boolean; json?: boolean }) => {
      const files: { file: string; ok: boolean; documents: string[]; diagnostics: Diagnostic[] }[] = [];
      for (const file of opts.file) {
        const path = resolve(io.cwd, file);
        let result: Awaited<ReturnType<typeof validateFile>>;
        try {
          result = await validateFile(path);
        } catch (err) {
          if (err instanceof ManifestFileError)
            throw new CliError(`cannot read ${path}: ${reason(err.cause)}`, EXIT.usage);
          throw err;
        }
        const diagnostics = result.diagnostics.map((d) => ({ ...d, file }));
        const documents = [...result.documents, ...result.extensions].map(
          (d) => `${d.manifest.kind}/${d.manifest.metadata.name}`,
        );
        files.push({ file, ok: result.ok, documents, diagnostics });
        if (opts.json) continue;
        for (const d of diagnostics) io.err(`${formatDiagnostic(d)}\n`);
        if (result.ok && !opts.quiet) io.out(`${file}: ok (${documents.join(", ") || "no documents"})\n`);
      }
      const ok = files.every((f) => f.ok);
      if (opts.json) io.out(`${JSON.stringify({ ok, files })}\n`);
      if (!ok) {
        io.err("fix the errors above and run validate again\n");
        outcome.exitCode = EXIT.failed;
      }
    });
};
