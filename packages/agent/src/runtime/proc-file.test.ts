import { readFileSync, writeFileSync } from "node:fs";
import { tempDir } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { readProcFile } from "./proc-file.js";

describe("readProcFile", () => {
  it("reads /proc files whole", async () => {
    const text = await readProcFile("/proc/self/status");
    expect(text).toMatch(/^Name:/);
    expect(text).toMatch(/VmRSS:/);
  });

  it("reads files longer than one chunk, multi-byte characters included", async () => {
    const dir = tempDir("qonnect-proc-file-");
    try {
      const file = `${dir.path}/long.txt`;
      writeFileSync(file, "ä€x".repeat(5000));
      expect(await readProcFile(file)).toBe(readFileSync(file, "utf8"));
      expect(await readProcFile(`${dir.path}/empty`).catch((e: NodeJS.ErrnoException) => e.code)).toBe(
        "ENOENT",
      );
    } finally {
      dir.remove();
    }
  });
});
