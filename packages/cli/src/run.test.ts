import { describe, expect, it } from "vitest";
import { bufferIo } from "./io.js";
import { run } from "./run.js";

describe("qonnect", () => {
  it("prints help and exits 0", async () => {
    const io = bufferIo();
    expect(await run(["--help"], io)).toBe(0);
    expect(io.stdout).toMatch(/Usage: qonnect/);
    expect(io.stdout).toMatch(/validate/);
  });

  it("prints --help for every command", async () => {
    for (const cmd of ["validate", "schema", "demo", "dev"]) {
      const io = bufferIo();
      expect(await run([cmd, "--help"], io), cmd).toBe(0);
      expect(io.stdout, cmd).toMatch(new RegExp(`Usage: qonnect ${cmd}`));
    }
  });

  it("prints the version", async () => {
    const io = bufferIo();
    expect(await run(["--version"], io)).toBe(0);
    expect(io.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("exits 2 on an unknown command with a hint", async () => {
    const io = bufferIo();
    expect(await run(["valdate"], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown command 'valdate'/);
    expect(io.stderr).toMatch(/Did you mean validate\?/);
  });
});
