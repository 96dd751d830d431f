import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const root = resolve(import.meta.dirname, "../../../..");
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe("qonnect validate", () => {
  it("exits 0 on the examples", async () => {
    const io = bufferIo(root);
    const code = await run(
      [
        "validate",
        "-f",
        "examples/bookinfo.yaml",
        "examples/inventory-9-sites.yaml",
        "examples/carbon-job.yaml",
      ],
      io,
    );
    expect(io.stderr).toBe("");
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/examples\/bookinfo.yaml: ok \(Application\/bookinfo\)/);
    expect(io.stdout).toMatch(/Inventory\/nine-sites/);
  });

  it("lists every error of every file with positions and exits 1", async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(
      join(dir.path, "a.yaml"),
      "apiVersion: qonnect.io/v1alpha1\nkind: Application\nmetadata: { name: a }\nspec:\n  services:\n    - { name: x, resources: { cpu: lots, memory: 1Gi } }\n",
    );
    writeFileSync(join(dir.path, "b.yaml"), "kind: Inventry\n");
    const io = bufferIo(dir.path);
    expect(await run(["validate", "-f", "a.yaml", "b.yaml"], io)).toBe(1);
    expect(io.stderr).toContain("a.yaml:6:36: cpu must look like 500m or 2");
    expect(io.stderr).toContain('b.yaml:1:7: unknown kind "Inventry" (did you mean "Inventory"?)');
  });

  it("exits 2 with one line for a missing file", async () => {
    const io = bufferIo(root);
    expect(await run(["validate", "-f", "no/such.yaml"], io)).toBe(2);
    expect(io.stderr.trim().split("\n")).toEqual([
      `error: cannot read ${join(root, "no/such.yaml")}: no such file (check the path)`,
    ]);
  });

  it("--json: one JSON document on stdout, exit 1 when a file is invalid", async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(join(dir.path, "b.yaml"), "kind: Inventry\n");
    const io = bufferIo(dir.path);
    expect(await run(["validate", "-f", join(root, "examples/bookinfo.yaml"), "b.yaml", "--json"], io)).toBe(
      1,
    );
    const out = JSON.parse(io.stdout);
    expect(out.ok).toBe(false);
    expect(out.files.map((f: { ok: boolean }) => f.ok)).toEqual([true, false]);
    expect(out.files[0].documents).toEqual(["Application/bookinfo"]);
    expect(out.files[1].diagnostics[0]).toMatchObject({ file: "b.yaml", line: 1, col: 7 });
  });

  it("a Microgrid whose trace is not there is invalid (validate never says ok to what sim refuses)", async () => {
    const dir = tempDir();
    dirs.push(dir);
    writeFileSync(
      join(dir.path, "site.yaml"),
      "apiVersion: qonnect.io/v1alpha1\nkind: Microgrid\nmetadata: { name: site }\nspec:\n  stepSeconds: 60\n  durationHours: 1\n" +
        "  actors:\n    - { name: pi, consumer: true, constantW: 6 }\n" +
        "    - { name: sun, consumer: false, kind: solar, trace: { file: ../data/solar.csv, column: Berlin, scaleW: 150 } }\n" +
        "  grid: { intensityGPerKWh: 300 }\n",
    );
    const io = bufferIo(dir.path);
    expect(await run(["validate", "-f", "site.yaml"], io)).toBe(1);
    expect(io.stdout).toBe("");
    expect(io.stderr).toContain(
      `site.yaml:9:65: cannot read ${resolve(dir.path, "../data/solar.csv")} ("../data/solar.csv" is relative to the manifest's folder): ENOENT`,
    );
    const examples = bufferIo(root);
    expect(await run(["validate", "-f", "examples/microgrid-pi-cluster-solar.yaml"], examples)).toBe(0);
  });

  it("exits 2 when -f is missing", async () => {
    const io = bufferIo(root);
    expect(await run(["validate"], io)).toBe(2);
    expect(io.stderr).toMatch(/required option '-f, --file <file...>' not specified/);
  });
});
