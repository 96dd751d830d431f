// The documentation is executed: every fence of README.md and docs/**/*.md is run, validated, or marked as
// needing what this machine does not have (see fences.ts for the markers). Fences marked `session` run as real
// processes in ../processes.test.ts; everything else runs here, in process, through run(argv, io).
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { loadAgentConfig } from "@qonnect/agent";
import { loadFogConfig } from "@qonnect/fog";
import { tempDir } from "@qonnect/testkit";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { buildProgram, run } from "../run.js";
import { unmatched } from "./expected-output.js";
import {
  commandsOf,
  type Fence,
  LONG_RUNNING,
  normalise,
  readFences,
  SHELL_LANGS,
  shellWords,
} from "./fences.js";

const root = resolve(import.meta.dirname, "../../../..");
const fences = readFences(root);
const where = (f: Fence, line = f.line) => `${f.doc}:${line}`;
/** Loaders for `<!-- docs-test: config NAME -->` fences: each throws on a configuration it would refuse. */
const CONFIG_LOADERS: Record<string, (file: string) => unknown> = {
  agent: loadAgentConfig,
  fog: loadFogConfig,
};
const isManifest = (f: Fence) => f.body.some((l) => /^apiVersion:\s*qonnect\.io\//.test(l));

let mirror: { path: string; remove(): void };
beforeAll(() => {
  // the repository with a private examples/ folder: snippets are checked as files saved in examples/
  mirror = tempDir("qonnect-docs-");
  for (const name of readdirSync(root))
    if (name !== "examples") symlinkSync(join(root, name), join(mirror.path, name));
  mkdirSync(join(mirror.path, "examples"));
  for (const name of readdirSync(join(root, "examples")))
    symlinkSync(join(root, "examples", name), join(mirror.path, "examples", name));
});
afterAll(() => mirror.remove());

/** Runs one documented command line in process; `> file` goes to a temp file. */
async function runLine(line: string, cwd: string, out: string) {
  const words = shellWords(line);
  const redirect = words.indexOf(">");
  const argv = redirect >= 0 ? words.slice(0, redirect) : words;
  if (argv[0] === "pnpm") argv.shift();
  expect(argv[0], `${line}: only qonnect commands run in process; mark the fence as a session`).toBe(
    "qonnect",
  );
  const io = bufferIo(cwd);
  // a command that runs until stopped would hang here: say what to do instead of timing out silently
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    run(argv.slice(1), io),
    new Promise<number>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${line} did not finish in 60 s: if it runs until stopped, mark its fence as a session`,
            ),
          ),
        60_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  if (redirect >= 0) writeFileSync(join(out, basename(words[redirect + 1] ?? "out")), io.stdout);
  return { code, io };
}

describe("docs: every fence is run, validated or marked", () => {
  it("finds the docs generically (README.md and docs/**/*.md)", () => {
    const docs = new Set(fences.map((f) => f.doc));
    expect(docs).toContain("README.md");
    expect(docs).toContain("docs/agent.md");
  });

  it.each(fences.filter((f) => f.badMarker !== undefined).map((f) => [where(f), f] as const))(
    "%s: the marker parses",
    (_, f) => {
      expect.fail(`unknown docs-test marker "${f.badMarker}" (see packages/cli/src/docs/fences.ts)`);
    },
  );

  it("shell commands outside sh fences are labelled: an unlabelled fence never starts with a command", () => {
    const commandLike = fences.filter(
      (f) => f.lang === "" && /^(\$ |pnpm |qonnect |make )/.test(f.body.find((l) => l.trim())?.trim() ?? ""),
    );
    expect(commandLike.map((f) => `${where(f)}: label it sh (run) or text (a synopsis)`)).toEqual([]);
  });

  const runnable = fences.filter((f) => SHELL_LANGS.has(f.lang) && !f.marker);
  it.each(runnable.map((f) => [where(f), f] as const))(
    "%s: the commands run as documented",
    async (_, f) => {
      const out = tempDir("qonnect-docs-out-");
      try {
        for (const c of commandsOf(f)) {
          expect(
            normalise(c.line),
            `${where(f, c.docLine)} runs until stopped: mark the fence as a session`,
          ).not.toMatch(LONG_RUNNING);
          // in the repository's mirror: files a command writes (./pki, bundles/) stay out of the checkout
          const { code, io } = await runLine(c.line, mirror.path, out.path);
          const context = `${where(f, c.docLine)}: ${c.line}\nstdout:\n${io.stdout}\nstderr:\n${io.stderr}`;
          expect(code, context).toBe(c.exitCode);
          expect(unmatched(c.expected, io.stdout + io.stderr), context).toEqual([]);
        }
      } finally {
        out.remove();
      }
    },
    120_000,
  );

  const configs = fences.filter((f) => f.marker?.kind === "config");
  it.each(configs.map((f) => [where(f), f] as const))("%s: the configuration loads", (_, f) => {
    const name = f.marker?.kind === "config" ? f.marker.name : "";
    const load = CONFIG_LOADERS[name];
    expect(load, `no loader for config ${name}: add one to CONFIG_LOADERS`).toBeDefined();
    const dir = tempDir("qonnect-docs-config-");
    try {
      const file = join(dir.path, `${name}.yaml`);
      writeFileSync(file, `${f.body.join("\n")}\n`);
      expect(() => load!(file)).not.toThrow();
    } finally {
      dir.remove();
    }
  });

  const yaml = fences.filter(
    (f) => f.lang === "yaml" && f.marker?.kind !== "fragment" && f.marker?.kind !== "config",
  );
  it.each(yaml.map((f) => [where(f), f] as const))(
    "%s: the manifest validates (saved in examples/)",
    async (_, f) => {
      expect(isManifest(f), "YAML that is not a whole manifest: mark it as a fragment").toBe(true);
      const name = `docs-${basename(f.doc, ".md")}-${f.line}.yaml`;
      writeFileSync(join(mirror.path, "examples", name), `${f.body.join("\n")}\n`);
      const io = bufferIo(mirror.path);
      const code = await run(["validate", "-f", `examples/${name}`], io);
      expect(code, io.stderr).toBe(0);
      // a Microgrid's traces must be shipped: simulate it
      if (f.body.some((l) => /^kind:\s*Microgrid/.test(l))) {
        const sim = bufferIo(mirror.path);
        const simCode = await run(["sim", "microgrid", "-f", `examples/${name}`, "--json"], sim);
        expect(simCode, sim.stderr).toBe(0);
      }
    },
  );

  it("inline `qonnect …` in the prose names real commands and options", () => {
    const program = buildProgram(bufferIo(), { exitCode: 0 });
    const problems: string[] = [];
    for (const doc of new Set(fences.map((f) => f.doc))) {
      // the prose only: fences are checked above
      const prose = readFileSync(join(root, doc), "utf8").replace(/^\s*(```|~~~)[\s\S]*?^\s*\1/gm, "");
      for (const m of prose.matchAll(/`(?:pnpm )?qonnect ([^`]+)`/g)) {
        const tokens = m[1]!.split(/[\s[\]|]+/).filter(Boolean);
        let cmd: Command = program;
        let k = 0;
        for (; k < tokens.length; k++) {
          const sub = cmd.commands.find((c) => c.name() === tokens[k]);
          if (!sub) break;
          cmd = sub;
        }
        const first = tokens[0] ?? "";
        if (k === 0 && /^[a-z]/.test(first))
          problems.push(`${doc}: \`qonnect ${m[1]}\`: no command "${first}"`);
        for (const t of tokens.slice(k).filter((t) => /^--?[a-z][\w-]*$/.test(t)))
          if (
            !["--help", "-h", "--version", "-v"].includes(t) &&
            !cmd.options.some((o) => o.long === t || o.short === t)
          )
            problems.push(`${doc}: \`qonnect ${m[1]}\`: ${cmd.name()} has no option ${t}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("docs/raft.md: the figures for seeds 1–200 are what `qonnect dev raft-sim` prints", async () => {
    const text = readFileSync(join(root, "docs/raft.md"), "utf8");
    const row = text.split("\n").find((l) => l.startsWith("| seeds 1–200 (the docs test) |"));
    expect(row, "docs/raft.md keeps a row for seeds 1–200").toBeDefined();
    const cells = row!.split("|").map((c) => c.trim().replace(/,/g, ""));
    const io = bufferIo(root);
    expect(await run(["dev", "raft-sim", "--seeds", "200", "--json"], io)).toBe(0);
    const r = JSON.parse(io.stdout);
    expect(cells.slice(2, 11)).toEqual(
      [
        r.seeds,
        r.violations,
        r.elections,
        r.committedEntries,
        `${r.clientOps} (${r.unknownOps})`,
        r.crashes,
        r.confChanges,
        r.transfers,
        r.snapshotChunks,
      ].map(String),
    );
    expect(cells[11]).toBe(String(r.maxRecoveryTicks));
  }, 120_000);
});
