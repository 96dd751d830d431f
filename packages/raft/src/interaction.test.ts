// Runs every scenario script under testdata/ against its golden output. RAFT_REWRITE=1 rewrites the files.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runScript } from "./interaction/script.js";

const dir = join(import.meta.dirname, "testdata");
const rewrite = process.env["RAFT_REWRITE"] === "1";

describe("interaction scripts", () => {
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()) {
    it(name, () => {
      const path = join(dir, name);
      const { rewritten, mismatches } = runScript(readFileSync(path, "utf8"));
      if (rewrite) writeFileSync(path, rewritten);
      else
        for (const m of mismatches)
          expect(`${name}:${m.line} ${m.command}\n${m.actual}`).toBe(
            `${name}:${m.line} ${m.command}\n${m.expected}`,
          );
    });
  }
});
