import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  type Diagnostic,
  type ExtensionDocument,
  formatDiagnostic,
  ManifestFileError,
  validateFile,
} from "@qonnect/core";
import { buildScenario, type MicrogridManifest, registerMicrogridKind, ScenarioError } from "@qonnect/energy";
import { registerKbKinds } from "@qonnect/kb";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";

function reason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file (check the path)";
  if (code === "EISDIR") return "it is a directory; pass the YAML files inside it";
  if (code === "EACCES") return "permission denied";
  return (cause as Error).message;
}

/** The value at a dotted path such as `spec.actors[1].trace.file`. */
function at(value: unknown, path: string): unknown {
  return path
    .split(/\.|\[(\d+)\]/)
    .filter(Boolean)
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

/**
 * A Microgrid is only valid if its traces can be read and used: built here as `qonnect sim` would, so that
 * `validate` never says ok to a manifest `sim` then refuses. Positions point at the trace's file name.
 */
function traceDiagnostics(path: string, file: string, docs: ExtensionDocument[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const doc of docs.filter((d) => d.manifest.kind === "Microgrid")) {
    try {
      buildScenario(doc.manifest as unknown as MicrogridManifest, { baseDir: dirname(path) });
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      const value = String(at(doc.manifest, err.path) ?? "");
      const lines = readFileSync(path, "utf8").split("\n");
      let line = doc.line;
      let col = 1;
      for (let k = doc.line - 1; k < lines.length && value; k++) {
        const c = lines[k]!.indexOf(value);
        if (c >= 0) {
          [line, col] = [k + 1, c + 1];
          break;
        }
      }
      out.push({ file, line, col, path: err.path, message: err.message.slice(err.path.length + 2) });
    }
  }
  return out;
}

export const registerValidate: Register = (program, io, outcome) => {
  // every kind a user writes: core's, Microgrid (energy), Signal and Region (Knowledge Base)
  registerMicrogridKind();
  registerKbKinds();
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
        const diagnostics = [
          ...result.diagnostics.map((d) => ({ ...d, file })),
          ...traceDiagnostics(path, file, result.extensions),
        ];
        const ok = result.ok && diagnostics.length === 0;
        const documents = [...result.documents, ...result.extensions].map(
          (d) => `${d.manifest.kind}/${d.manifest.metadata.name}`,
        );
        files.push({ file, ok, documents, diagnostics });
        if (opts.json) continue;
        for (const d of diagnostics) io.err(`${formatDiagnostic(d)}\n`);
        if (ok && !opts.quiet) io.out(`${file}: ok (${documents.join(", ") || "no documents"})\n`);
      }
      const ok = files.every((f) => f.ok);
      if (opts.json) io.out(`${JSON.stringify({ ok, files })}\n`);
      if (!ok) {
        io.err("fix the errors above and run validate again\n");
        outcome.exitCode = EXIT.failed;
      }
    });
};
