// Checks the dependency graph written down in docs/architecture.md: which package may import which, no deep
// imports into another package's files, every import declared in package.json, test kit only in tests.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/** Who may depend on whom. Libraries first, processes next, then the simulator and the CLI on top. */
const ALLOWED: Record<string, string[]> = {
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

const root = resolve(import.meta.dirname, "..");
const problems: string[] = [];

function files(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "gen") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(files(path));
    else if (/\.(ts|mts)$/.test(name)) out.push(path);
  }
  return out;
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

for (const pkg of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", pkg);
  if (!statSync(dir).isDirectory()) continue;
  const allowed = ALLOWED[pkg];
  if (!allowed) {
    problems.push(
      `packages/${pkg}: not in the dependency table of scripts/check-deps.ts; add it there and to docs/architecture.md`,
    );
    continue;
  }
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
  ]);
  for (const dep of declared) {
    if (!dep.startsWith("@qonnect/")) continue;
    const name = dep.slice("@qonnect/".length);
    if (name !== "testkit" && !allowed.includes(name))
      problems.push(
        `packages/${pkg}/package.json: ${pkg} may not depend on ${dep} (allowed: ${allowed.join(", ") || "none"})`,
      );
  }
  for (const file of files(dir)) {
    const rel = relative(root, file);
    const isTestCode = /\.test\.ts$/.test(file) || rel.includes("/bench/") || rel.includes("/testdata/");
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? "";
      if (spec.startsWith("@qonnect/")) {
        const [, name, ...rest] = spec.split("/");
        if (rest.length)
          problems.push(`${rel}: deep import "${spec}"; import from "@qonnect/${name}" (its src/index.ts)`);
        if (name === "testkit" && !isTestCode) problems.push(`${rel}: @qonnect/testkit is for tests only`);
        else if (name !== pkg && name !== "testkit" && !allowed.includes(name ?? ""))
          problems.push(
            `${rel}: ${pkg} may not import @qonnect/${name} (allowed: ${allowed.join(", ") || "none"})`,
          );
        if (!declared.has(`@qonnect/${name}`))
          problems.push(
            `${rel}: imports @qonnect/${name} but packages/${pkg}/package.json does not declare it`,
          );
      } else if (spec.startsWith(".")) {
        const target = resolve(file, "..", spec);
        if (!target.startsWith(dir + "/"))
          problems.push(
            `${rel}: relative import "${spec}" leaves packages/${pkg}; import the package instead`,
          );
      }
    }
  }
}

if (problems.length) {
  console.error(problems.join("\n"));
  console.error(
    `\n${problems.length} dependency problem(s); the allowed graph is in scripts/check-deps.ts and docs/architecture.md`,
  );
  process.exit(1);
}
console.log("dependency graph ok");
