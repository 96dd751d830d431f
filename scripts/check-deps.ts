// Checks the dependency graph written down in docs/architecture.md with dependency-cruiser: which package may
// import which (the table below), no import cycles, no imports of another package's files besides its public
// faces (`src/index.ts`, and `src/testing.ts` for test code), every import resolvable and declared in the
// importing package's package.json, the test kit and the `/testing` entries only in test code.
//
// Adding a package: one line in ALLOWED (and a row in docs/architecture.md's table). Nothing else.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cruise, type IForbiddenRuleType, type IReporterOutput } from "dependency-cruiser";

/** Who may depend on whom. Libraries first, processes next, then the simulator and the CLI on top. */
export const ALLOWED: Record<string, string[]> = {
  core: [],
  proto: [],
  natsd: [],
  testkit: ["natsd", "proto"],
  energy: ["core"],
  raft: ["core", "proto", "pki"],
  planner: ["core", "energy"],
  pki: ["core"],
  agent: ["core", "proto", "energy", "pki"],
  fog: ["core", "proto", "raft", "planner", "energy", "pki"],
  kb: ["core", "proto", "planner", "energy", "pki"],
  flash: ["core", "agent"],
  sim: ["core", "proto", "natsd", "energy", "planner", "raft", "agent", "fog", "kb", "pki"],
  cli: ["core", "proto", "natsd", "energy", "planner", "raft", "agent", "fog", "kb", "sim", "pki", "flash"],
};

/** Test code: tests, shared test suites, fixtures, benchmarks, and the `/testing` entries themselves. */
const TEST_PARTS = "(bench/|.*\\.test\\.ts$|.*[.-]suite\\.ts$|.*/testdata/|src/testing/|src/testing\\.ts$)";
const TEST_CODE = `^packages/([^/]+/${TEST_PARTS}|testkit/)`;
/** What another package may import of a package: its public face, and its test entry (test code only). */
const PUBLIC_FACE = "^packages/[^/]+/src/(index|testing)\\.ts$";

function rules(table: Record<string, string[]>): IForbiddenRuleType[] {
  const out: IForbiddenRuleType[] = [
    {
      name: "no-cycle",
      comment:
        "import cycles make load order matter and modules inseparable; move the shared part down (a cycle made only of `import type` is erased at compile time and allowed)",
      severity: "error",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "not-to-unresolvable",
      comment:
        "the import does not resolve: a typo, or a dependency packages/<pkg>/package.json does not declare",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "undeclared-dependency",
      comment: "the package imports an npm package its own package.json does not declare",
      severity: "error",
      from: { path: "^packages/", pathNot: TEST_CODE },
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "no-deep-import",
      comment: "import another package by its name (its src/index.ts), never its files",
      severity: "error",
      from: { path: "^packages/([^/]+)/" },
      to: { path: "^packages/", pathNot: [PUBLIC_FACE, "^packages/$1/"] },
    },
    {
      name: "no-relative-import-across-packages",
      comment: "a relative import leaves its package; import the package by name instead",
      severity: "error",
      from: { path: "^packages/([^/]+)/" },
      to: { dependencyTypes: ["local"], path: "^packages/", pathNot: "^packages/$1/" },
    },
    {
      name: "test-support-in-tests-only",
      comment: "@qonnect/testkit and the packages' /testing entries are for tests and benchmarks only",
      severity: "error",
      from: { path: "^packages/", pathNot: TEST_CODE },
      to: { path: ["^packages/testkit/", "^packages/[^/]+/src/testing(\\.ts$|/)"] },
    },
    {
      name: "no-test-code-in-production",
      comment:
        "production code may not import tests, shared test suites, fixtures or benchmarks; export test support from the package's src/testing.ts",
      severity: "error",
      from: { path: "^packages/", pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: "hil-public-faces-only",
      comment:
        "hil-tests/ (the HIL rig, test code as a whole) imports packages by name: their src/index.ts or src/testing.ts",
      severity: "error",
      from: { path: "^hil-tests/" },
      to: { path: "^packages/", pathNot: PUBLIC_FACE },
    },
  ];
  for (const [pkg, allowed] of Object.entries(table)) {
    const may = [pkg, ...allowed].join("|");
    out.push({
      name: `allowed-deps:${pkg}`,
      comment: `${pkg} may depend on: ${allowed.join(", ") || "nothing"} (scripts/check-deps.ts, docs/architecture.md)`,
      severity: "error",
      from: { path: `^packages/${pkg}/`, pathNot: TEST_CODE },
      to: { path: "^packages/", pathNot: `^packages/(${may})/` },
    });
    out.push({
      name: `allowed-deps:${pkg}`,
      comment: `${pkg}'s tests may depend on: ${[...allowed, "testkit"].join(", ")}`,
      severity: "error",
      from: { path: `^packages/${pkg}/${TEST_PARTS}` },
      to: { path: "^packages/", pathNot: `^packages/(${may}|testkit)/` },
    });
  }
  return out;
}

/** The package.json side of the table: declared @qonnect dependencies and packages missing from the table. */
function manifestProblems(root: string, table: Record<string, string[]>): string[] {
  const problems: string[] = [];
  for (const pkg of readdirSync(join(root, "packages"))) {
    const dir = join(root, "packages", pkg);
    if (!statSync(dir).isDirectory()) continue;
    const allowed = table[pkg];
    if (!allowed) {
      problems.push(`packages/${pkg}: not in the table ALLOWED of scripts/check-deps.ts; add it there`);
      continue;
    }
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
      const name = dep.startsWith("@qonnect/") ? dep.slice("@qonnect/".length) : undefined;
      if (name && name !== "testkit" && !allowed.includes(name))
        problems.push(
          `packages/${pkg}/package.json: may not depend on ${dep} (allowed: ${allowed.join(", ") || "none"})`,
        );
    }
  }
  return problems;
}

/** Checks the packages under `root`; `report` lists every problem (empty when `ok`). */
export async function checkGraph(
  root: string,
  table: Record<string, string[]> = ALLOWED,
): Promise<{ ok: boolean; report: string }> {
  const tsConfig = join(root, "tsconfig.json");
  const roots = ["packages", "hil-tests"].filter((d) => existsSync(join(root, d)));
  const result: IReporterOutput = await cruise(roots, {
    baseDir: root,
    validate: true,
    ruleSet: { forbidden: rules(table) },
    tsPreCompilationDeps: true,
    ...(existsSync(tsConfig) ? { tsConfig: { fileName: tsConfig } } : {}),
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^packages/proto/src/gen/" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "node", "default", "types"],
    },
    outputType: "err-long",
  });
  const problems = manifestProblems(root, table);
  const ok = result.exitCode === 0 && problems.length === 0;
  const report = ok ? "" : [typeof result.output === "string" ? result.output : "", ...problems].join("\n");
  return { ok, report };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { ok, report } = await checkGraph(resolve(import.meta.dirname, ".."));
  if (!ok) {
    console.error(report);
    console.error(
      "dependency problems; the allowed graph is in scripts/check-deps.ts and docs/architecture.md",
    );
    process.exit(1);
  }
  console.log("dependency graph ok");
}
