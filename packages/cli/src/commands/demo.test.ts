import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const root = resolve(import.meta.dirname, "../../../..");

describe("qonnect demo (the examples as a smoke test)", () => {
  it("validates and describes every example (step 3, the live fleet, is tested in @qonnect/sim)", async () => {
    const io = bufferIo(root);
    const code = await run(["demo", "--no-live"], io); // step 3 is live-demo.test.ts in @qonnect/sim
    expect(io.stderr).toBe("");
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/Application bookinfo: 6 services, 8 replicas/);
    expect(io.stdout).toMatch(/Inventory nine-sites: 9 sites, 17 devices \(16 alive\)/);
    expect(io.stdout).toMatch(/Job retrain-detector/);
  });

  it("a missing examples folder: one line with the resolved path and what to do, exit 2", async () => {
    const io = bufferIo(root);
    expect(await run(["demo", "--examples", "no-such-dir", "--no-live"], io)).toBe(2);
    expect(io.stderr).toBe(
      `error: cannot read the examples folder ${resolve(root, "no-such-dir")}: ENOENT; run from the repository root or pass --examples DIR\n`,
    );
  });
});
