// `pnpm bench <name> [args]`: runs packages/*/bench/<name>.ts. Each benchmark prints a table for people and,
// with --json, one JSON object on its last line: {"bench": name, "metrics": {...}, "env": {...}}. Through
// `pnpm bench … --json` that object is all of stdout (the output contract of every `--json`); the table and
// progress go to stderr.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const benches = new Map<string, string>();
for (const pkg of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", pkg, "bench");
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir))
    if (f.endsWith(".ts") && !f.includes(".test.")) benches.set(f.slice(0, -3), join(dir, f));
}
const [name, ...args] = process.argv.slice(2);
if (!name || !benches.has(name)) {
  console.error(
    `usage: pnpm bench <name> [--json]\nbenchmarks: ${[...benches.keys()].sort().join(", ") || "(none yet)"}`,
  );
  process.exit(2);
}
const json = args.includes("--json");
const child = spawn(process.execPath, ["--import", "tsx", benches.get(name)!, ...args], {
  stdio: ["inherit", json ? "pipe" : "inherit", "inherit"],
  cwd: root,
});
let held: string | undefined; // the latest complete line: the JSON object if it is the last one
let partial = "";
child.stdout?.on("data", (chunk: Buffer) => {
  const lines = (partial + chunk.toString()).split("\n");
  partial = lines.pop()!;
  for (const line of lines) {
    if (held !== undefined) process.stderr.write(`${held}\n`);
    held = line;
  }
});
child.on("exit", (code, signal) => {
  if (partial) {
    if (held !== undefined) process.stderr.write(`${held}\n`);
    held = partial;
  }
  if (json && held !== undefined) {
    if (held.startsWith("{")) process.stdout.write(`${held}\n`);
    else process.stderr.write(`${held}\n`);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
