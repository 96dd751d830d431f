// The qonnect CLI bundled once with esbuild, for tests that run it as real processes: a tsx start of the whole
// CLI takes seconds on a loaded 2-core machine, a bundle starts in a fraction of that.

import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** The repository's root directory. */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const root = REPO_ROOT;
let bundled: string | undefined;

/** Bundles packages/cli into one ESM file (once per process) and returns its path. */
export function bundleCli(): string {
  if (bundled && existsSync(bundled)) return bundled;
  const dir = mkdtempSync(join(tmpdir(), "qonnect-cli-"));
  mkdirSync(join(dir, "src"));
  copyFileSync(join(root, "packages/cli/package.json"), join(dir, "package.json"));
  const out = join(dir, "src", "main.mjs");
  execFileSync(
    join(root, "node_modules/.bin/esbuild"),
    [
      join(root, "packages/cli/src/main.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      `--outfile=${out}`,
      "--log-level=error",
      "--banner:js=import { createRequire as __qcr } from 'node:module'; const require = __qcr(import.meta.url);",
    ],
    { stdio: "pipe" },
  );
  // native modules cannot be bundled: ship them beside the bundle, as a deployment would (the WAL's flock)
  mkdirSync(join(dir, "node_modules"));
  const raftRequire = createRequire(join(root, "packages/raft/package.json"));
  symlinkSync(dirname(raftRequire.resolve("fs-ext/package.json")), join(dir, "node_modules", "fs-ext"));
  bundled = out;
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return out;
}
