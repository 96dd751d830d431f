import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const root = resolve(import.meta.dirname, "../../../..");

describe("qonnect schema", () => {
  it("prints the JSON Schema of one kind with its fixed fields", async () => {
    const io = bufferIo();
    expect(await run(["schema", "Inventory"], io)).toBe(0);
    const schema = JSON.parse(io.stdout);
    const device = schema.properties.spec.properties.devices.items;
    expect(Object.keys(device.properties)).toEqual(
      expect.arrayContaining([
        "name",
        "site",
        "arch",
        "cpu",
        "memory",
        "gpu",
        "power",
        "pricePerHour",
        "battery",
        "solar",
        "used",
        "labels",
        "alive",
      ]),
    );
    expect(device.additionalProperties).toBe(false);
  });

  it("includes kinds other packages register (Microgrid from @qonnect/energy)", async () => {
    const io = bufferIo();
    expect(await run(["schema", "Microgrid"], io)).toBe(0);
    const schema = JSON.parse(io.stdout);
    expect(schema.properties.kind.const).toBe("Microgrid");
    expect(Object.keys(schema.properties.spec.properties)).toEqual(
      expect.arrayContaining(["stepSeconds", "actors"]),
    );
  });

  it("refuses an unknown kind with exit 2", async () => {
    const io = bufferIo();
    expect(await run(["schema", "Pod"], io)).toBe(2);
    expect(io.stderr).toMatch(/unknown kind "Pod"; choose one of Application, Job, Inventory, Microgrid/);
  });

  it("matches the committed docs/schema/qonnect.schema.json (regenerate with: pnpm qonnect schema > docs/schema/qonnect.schema.json)", async () => {
    const io = bufferIo();
    await run(["schema"], io);
    expect(io.stdout).toBe(readFileSync(resolve(root, "docs/schema/qonnect.schema.json"), "utf8"));
  });
});
