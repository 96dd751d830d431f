// The dependency check on a small tree of its own: it must fail on an import cycle, an import of another
// package's files, a dependency the table forbids, test support in production code, and pass a clean tree.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkGraph } from "./check-deps.js";

const TABLE = { core: [], energy: ["core"], planner: ["core", "energy"] };
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A workspace with core, energy and planner, plus `files` (path → content). */
function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "qonnect-deps-"));
  roots.push(root);
  const all: Record<string, string> = {
    "tsconfig.json": JSON.stringify({
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" },
    }),
    "packages/core/src/index.ts": "export const one = 1;\n",
    "packages/energy/src/index.ts": "export const two = 2;\n",
    "packages/energy/src/power.ts": "export const watts = 3;\n",
    "packages/planner/src/index.ts": "export const three = 3;\n",
    ...files,
  };
  for (const pkg of Object.keys(TABLE))
    all[`packages/${pkg}/package.json`] ??= JSON.stringify({ name: `@qonnect/${pkg}`, type: "module" });
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("scripts/check-deps.ts (dependency-cruiser)", () => {
  it("passes a tree that keeps the rules", async () => {
    const result = await checkGraph(workspace({}), TABLE);
    expect(result).toEqual({ ok: true, report: "" });
  }, 60_000);

  it("fails on an import cycle", async () => {
    const root = workspace({
      "packages/core/src/a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
      "packages/core/src/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n',
    });
    const { ok, report } = await checkGraph(root, TABLE);
    expect(ok).toBe(false);
    expect(report).toMatch(/no-cycle: packages\/core\/src\/a\.ts/);
  }, 60_000);

  it("allows a cycle made only of type imports (erased at compile time)", async () => {
    const root = workspace({
      "packages/core/src/a.ts": 'import type { B } from "./b.js";\nexport interface A { b?: B }\n',
      "packages/core/src/b.ts": 'import type { A } from "./a.js";\nexport interface B { a?: A }\n',
    });
    expect((await checkGraph(root, TABLE)).ok).toBe(true);
  }, 60_000);

  it("fails on an import of another package's files, and on a dependency the table forbids", async () => {
    const root = workspace({
      "packages/planner/src/x.ts":
        'import { watts } from "../../energy/src/power.js";\nexport const x = watts;\n',
      "packages/core/src/y.ts": 'import { two } from "../../energy/src/index.js";\nexport const y = two;\n',
    });
    const { ok, report } = await checkGraph(root, TABLE);
    expect(ok).toBe(false);
    expect(report).toMatch(
      /no-deep-import: packages\/planner\/src\/x\.ts → packages\/energy\/src\/power\.ts/,
    );
    expect(report).toMatch(/no-relative-import-across-packages: packages\/core\/src\/y\.ts/);
    expect(report).toMatch(/allowed-deps:core: packages\/core\/src\/y\.ts/);
  }, 60_000);

  it("fails on production code importing tests, and on a package missing from the table", async () => {
    const root = workspace({
      "packages/core/src/z.ts": 'import "./z.test.js";\n',
      "packages/core/src/z.test.ts": "export {};\n",
      "packages/newpkg/package.json": JSON.stringify({ name: "@qonnect/newpkg" }),
      "packages/newpkg/src/index.ts": "export {};\n",
    });
    const { ok, report } = await checkGraph(root, TABLE);
    expect(ok).toBe(false);
    expect(report).toMatch(
      /no-test-code-in-production: packages\/core\/src\/z\.ts → packages\/core\/src\/z\.test\.ts/,
    );
    expect(report).toMatch(/packages\/newpkg: not in the table ALLOWED/);
  }, 60_000);
});
