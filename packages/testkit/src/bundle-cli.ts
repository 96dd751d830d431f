// The qonnect CLI bundled once with esbuild, for tests that run it as real processes: a tsx start of the whole
// CLI takes seconds on a loaded 2-core machine, a bundle starts in a fraction of that.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository's root directory. */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const root = REPO_ROOT;
let bundled: string | undefined;

/**
 * Bundles packages/cli into one ESM file (once per process) with the same build as `make install`
 * (scripts/build-cli.ts: native and self-locating packages stay external, imported by their path in the
 * repository), into a temporary folder under dist/, and returns its path.
 */
export function bundleCli(): string {
  if (bundled && existsSync(bundled)) return bundled;
  mkdirSync(join(root, "dist"), { recursive: true });
  const dir = mkdtempSync(join(root, "dist", "test-bundle-"));
  const out = join(dir, "qonnect.mjs");
  execFileSync(join(root, "node_modules/.bin/tsx"), [join(root, "scripts/build-cli.ts"), out], {
    stdio: "pipe",
    cwd: root,
  });
  bundled = out;
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return out;
}
