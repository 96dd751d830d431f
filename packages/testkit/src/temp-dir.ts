import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix = "qonnect-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Call at the top of a test file (or a describe block): returns a function that makes a fresh temporary
 * directory, and every directory it made is removed after each test.
 */
export function useTempDirs(prefix = "qonnect-test-"): () => string {
  const made: { remove(): void }[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) d.remove();
  });
  return () => {
    const d = tempDir(prefix);
    made.push(d);
    return d.path;
  };
}
