import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { CliError, EXIT } from "../io.js";
import { type ConnectionFlags, connectionOptions, toCliError, withClient } from "../kb-connection.js";
import type { Register } from "./index.js";

/** Each `---` document of a file on its own, padded with blank lines so positions stay those of the file. */
export function splitDocuments(text: string): string[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: string[] = [];
  for (const d of list) {
    const [start = 0, , end = text.length] = d.range ?? [];
    const body = text.slice(start, end);
    if (!body.replace(/#.*$/gm, "").trim()) continue;
    const line = text.slice(0, start).split("\n").length - 1;
    out.push("\n".repeat(line) + body);
  }
  return out;
}

/** `qonnect apply -f FILE...`: create or update every document through the control API. */
export const registerApply: Register = (program, io, outcome) => {
  connectionOptions(
    program
      .command("apply")
      .description("create or update resources on the Knowledge Base from manifests (like kubectl apply)")
      .requiredOption("-f, --file <file...>", "YAML or JSON manifests (several documents per file allowed)")
      .option("--etag <etag>", "only if the resource's etag is still this (one document only)")
      .option("--json", "print one JSON document with the result of every apply"),
  ).action(async (opts: ConnectionFlags & { file: string[]; etag?: string; json?: boolean }) => {
    const results: { name: string; result: string; generation?: number; etag?: string }[] = [];
    let worst: number = EXIT.ok;
    await withClient(io, opts, async (client) => {
      for (const file of opts.file) {
        let text: string;
        try {
          text = await readFile(resolve(io.cwd, file), "utf8");
        } catch (err) {
          throw new CliError(
            `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
            EXIT.usage,
          );
        }
        const docs = splitDocuments(text);
        if (opts.etag && docs.length !== 1)
          throw new CliError("--etag applies to exactly one document", EXIT.usage);
        for (const doc of docs) {
          try {
            const r = await client.apply(doc, file, opts.etag ?? "");
            const m = r.resource!.metadata!;
            const name = `${r.resource!.kind.toLowerCase()}s/${m.name}`.replace(/ys\//, "ies/");
            const result = r.created ? "created" : r.changed ? "configured" : "unchanged";
            results.push({ name, result, generation: m.generation, etag: m.etag });
            if (!opts.json) io.out(`${name} ${result}\n`);
          } catch (err) {
            const e = toCliError(io, err);
            if (!(e instanceof CliError)) throw e;
            io.err(`${file}: ${e.message}\n`);
            results.push({ name: file, result: `failed: ${e.message}` });
            worst = Math.max(worst, e.exitCode);
          }
        }
      }
    });
    if (opts.json) io.out(`${JSON.stringify({ results })}\n`);
    outcome.exitCode = worst;
  });
};
