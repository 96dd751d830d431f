// The output contract of every command (docs/cli.md): with --json stdout is empty or exactly one JSON document,
// never human text; exit 0 ok, 1 the thing asked for failed, 2 usage or input error (stdout empty); every
// command has its section in docs/cli.md. Commands are found from the program itself, so new ones are checked.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { bufferIo } from "./io.js";
import { buildProgram, run } from "./run.js";

const root = resolve(import.meta.dirname, "../../..");

/** Every leaf command as its words, e.g. ["dev", "raft-kv", "put"], with whether it takes --json. */
function leaves(): { words: string[]; json: boolean }[] {
  const out: { words: string[]; json: boolean }[] = [];
  const walk = (c: Command, words: string[]) => {
    for (const sub of c.commands) {
      const w = [...words, sub.name()];
      if (sub.commands.length === 0)
        out.push({ words: w, json: sub.options.some((o) => o.long === "--json") });
      walk(sub, w);
    }
  };
  walk(buildProgram(bufferIo(), { exitCode: 0 }), []);
  return out;
}

/** Stdout is empty or one JSON document (one line or pretty-printed), nothing else. */
function oneJsonOrEmpty(stdout: string): boolean {
  if (stdout === "") return true;
  try {
    JSON.parse(stdout);
    return stdout.endsWith("\n");
  } catch {
    return false;
  }
}

const scratch = mkdtempSync(join(tmpdir(), "qonnect-contract-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** Nothing listens here: commands that need a server fail the documented way. */
const nowhere = "127.0.0.1:1";
/** Commands that read the client configuration get an empty one, never the user's. */
const ENV = { QONNECT_CONFIG: join(scratch, "config"), QONNECT_TOKEN: "", QONNECT_SERVER: "" };

const bookinfo = ["-f", "examples/bookinfo.yaml", "--inventory", "examples/inventory-9-sites.yaml"];
/** Deterministic runs of the commands that print JSON, with the exit code each must give. */
const JSON_RUNS: [string[], number][] = [
  [["validate", "-f", "examples/bookinfo.yaml", "--json"], 0],
  [["validate", "-f", "docs/cli.md", "--json"], 1],
  [["plan", ...bookinfo, "--json"], 0],
  [["plan", ...bookinfo, "--json", "--strategy", "borda"], 1],
  [["plan", ...bookinfo, "--json", "--current", "no-such.json"], 2],
  [["schema", "Application"], 0],
  [["sim", "microgrid", "-f", "examples/microgrid-pi-cluster-solar.yaml", "--json"], 0],
  [["sim", "microgrid", "-f", "no-such.yaml", "--json"], 2],
  [["sim", "size", "-f", "examples/microgrid-fog-site-grid.yaml", "--json"], 2], // no spec.sizing
  [["dev", "raft-sim", "--seeds", "3", "--json"], 0],
  [["dev", "raft-sim", "--seeds", "3", "--json", "--inject-bug", "nope"], 2],
  [["sensors", "--emulate", "--json"], 0],
  [["agent", "status", "--json", "--url", "http://127.0.0.1:1"], 1],
  [["dev", "raft-kv", "status", "--endpoints", nowhere], 1],
  [["fog", "status", "--json", "--endpoints", nowhere, "--insecure"], 1],
  [["fog", "recover", "--config", "no-such-fog.yaml", "--json"], 2],
  [["kb", "token", "create", "--json", "--role", "viewer", "--data", join(scratch, "kb")], 0],
  // in this order: a backup of the store just made, restored into an empty one, then refused a second time
  [["kb", "backup", "--json", "--data", join(scratch, "kb"), "--out", join(scratch, "kb.backup")], 0],
  [["kb", "restore", "--json", "--data", join(scratch, "kb-copy"), "--in", join(scratch, "kb.backup")], 0],
  [["kb", "restore", "--json", "--data", join(scratch, "kb-copy"), "--in", join(scratch, "kb.backup")], 1],
  [["apply", "-f", "examples/bookinfo.yaml", "--json", "--server", nowhere, "--insecure"], 1],
  [["events", "--json", "--server", nowhere, "--insecure"], 1],
  [["config", "get-contexts", "--json"], 0],
  [["flash", "ssh", "ssh://root@127.0.0.1:1", "--device-config", "no-such.yaml", "--json"], 2],
  [["flash", "image", "no-such.img", "--device-config", "no-such.yaml", "--json"], 2],
  [["flash", "fleet", "no-such.yaml", "--json"], 2],
  // in this order: a CA, one identity from it, then its revocation
  [["pki", "init", "--json", "--pki", join(scratch, "pki")], 0],
  [
    [
      "enroll",
      "device",
      "pi-1",
      "--region",
      "r",
      "--json",
      "--pki",
      join(scratch, "pki"),
      "--out",
      join(scratch, "b"),
    ],
    0,
  ],
  [["revoke", "device", "pi-1", "--region", "r", "--json", "--pki", join(scratch, "pki")], 0],
  [["enroll", "moon", "x", "--json", "--pki", join(scratch, "pki")], 2],
  [
    [
      ...["pki", "nats-deployment", "--json", "--pki", join(scratch, "pki"), "--out", join(scratch, "nats")],
      ...["--cloud", "10.0.0.1", "--cloud", "10.0.0.2", "--cloud", "10.0.0.3", "--region", "r=10.0.1.1"],
    ],
    0,
  ],
  [["pki", "nats-deployment", "--json", "--out", join(scratch, "n2"), "--cloud", "a", "--region", "r=b"], 2],
];

describe("output contract", () => {
  it.each(JSON_RUNS.map(([argv, code]) => [argv.join(" "), argv, code] as const))(
    "qonnect %s: exit as documented, stdout empty or one JSON document",
    async (_, argv, code) => {
      const io = bufferIo(root);
      Object.assign(io.env, ENV);
      expect(await run([...argv], io), io.stderr).toBe(code);
      expect(oneJsonOrEmpty(io.stdout), io.stdout.slice(0, 300)).toBe(true);
      if (code === 2) expect(io.stdout).toBe("");
      if (code !== 0) expect(io.stderr.trim().length, "a failure says why on stderr").toBeGreaterThan(0);
    },
    60_000,
  );

  const all = leaves();
  it.each(all.map((l) => [l.words.join(" "), l.words] as const))(
    "qonnect %s: a usage error exits 2 with nothing on stdout",
    async (_, words) => {
      const io = bufferIo(root);
      Object.assign(io.env, ENV);
      expect(await run([...words, "--no-such-option"], io)).toBe(2);
      expect(io.stdout).toBe("");
      expect(io.stderr).toMatch(/^error: (unknown option '--no-such-option'|required option)/);
    },
  );

  it("docs/cli.md has a section for every command", () => {
    const text = readFileSync(join(root, "docs/cli.md"), "utf8");
    const missing = all
      .map((l) => `qonnect ${l.words.join(" ")}`)
      .filter((name) => !text.includes(`\n### \`${name}`));
    expect(missing.map((m) => `add a "### \`${m}\`" section to docs/cli.md`)).toEqual([]);
  });

  it("every command that prints JSON is run by this test", () => {
    const covered = new Set(JSON_RUNS.map(([argv]) => argv.filter((a) => /^[a-z][\w-]*$/.test(a)).join(" ")));
    const untested = all
      .filter((l) => l.json)
      .map((l) => l.words.join(" "))
      .filter((name) => ![...covered].some((c) => c.startsWith(name)));
    // agent watch streams JSON Lines (one object per message): tested with a real server in the agent package
    expect(untested.filter((n) => n !== "agent watch")).toEqual([]);
  });
});
