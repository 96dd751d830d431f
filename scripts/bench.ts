// `pnpm bench <name> [args]`: runs packages/*/bench/<name>.ts. Each benchmark prints a table for people and,
// with --json, one JSON object on its last line: {"bench": name, "metrics": {...}, "env": {...}}.
import { spawnSync } from "node:child_process";
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
const result = spawnSync(process.execPath, ["--import", "tsx", benches.get(name)!, ...args], {
  stdio: "inherit",
  cwd: root,
});
process.exit(result.status ?? 1);
