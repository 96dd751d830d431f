// A documented session run for real: the fences marked `session NAME` of one doc, in order, in bash, with the
// bundled `qonnect` first on PATH, in a copy of the repository whose examples/ use free ports. Commands that keep
// running (servers, agents, `watch` in "a second terminal") start in the background in their own process group;
// the others are retried until they exit as documented (the servers they talk to may still be starting).
// Documented output (`# ` lines) must appear; numbers are masked here (see expected-output.ts).
import { type ChildProcess, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unmatched } from "./expected-output.js";
import { commandsOf, type DocCommand, type Fence, LONG_RUNNING, normalise } from "./fences.js";

/** The fences of each session, keyed `doc#name`, in document order. */
export function sessions(fences: Fence[]): Map<string, Fence[]> {
  const out = new Map<string, Fence[]>();
  for (const f of fences) {
    if (f.marker?.kind !== "session") continue;
    const key = `${f.doc}#${f.marker.name}`;
    out.set(key, [...(out.get(key) ?? []), f]);
  }
  return out;
}

export interface SessionOptions {
  root: string;
  /** Directory holding the `qonnect` executable (the bundle). */
  binDir: string;
  /** Free TCP ports to use instead of the documented ones. */
  freePort(): Promise<number>;
  /** How long a command may take to behave as documented. */
  timeoutMs?: number;
}

export interface SessionResult {
  /** What went wrong, one line each with the doc line; empty when the session ran as documented. */
  problems: string[];
  /** Pids of the background commands' process groups (all stopped when run() returns). */
  groups: number[];
  log: string;
}

interface Running {
  cmd: DocCommand;
  child: ChildProcess;
  output: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Documented ports (`127.0.0.1:4222`, `-p 4222`) and /tmp paths, replaced in commands and examples/. */
async function substitutions(text: string, o: SessionOptions, tmp: string): Promise<[RegExp, string][]> {
  const ports = new Set<string>();
  for (const m of text.matchAll(/(?::|-p )(\d{4,5})\b/g)) ports.add(m[1]!);
  const subs: [RegExp, string][] = [[/\/tmp\//g, `${tmp}/`]];
  for (const p of ports) subs.push([new RegExp(`\\b${p}\\b`, "g"), String(await o.freePort())]);
  return subs;
}

const apply = (text: string, subs: [RegExp, string][]) =>
  subs.reduce((t, [re, to]) => t.replace(re, to), text);

/** The repository with examples/ copied (ports substituted); everything else linked. */
function mirror(root: string, into: string, subs: [RegExp, string][]): void {
  for (const name of readdirSync(root))
    if (![".git", ".qonnect", "examples"].includes(name)) symlinkSync(join(root, name), join(into, name));
  const copy = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) {
      const path = join(from, name);
      if (statSync(path).isDirectory()) copy(path, join(to, name));
      else writeFileSync(join(to, name), apply(readFileSync(path, "utf8"), subs));
    }
  };
  copy(join(root, "examples"), join(into, "examples"));
}

function bash(line: string, cwd: string, env: NodeJS.ProcessEnv, background: boolean): Running {
  const child = spawn("bash", ["-c", background ? `exec ${line.replace(/\s*&$/, "")}` : line], {
    cwd,
    env,
    detached: background, // its own process group: stopped as a whole
    stdio: ["ignore", "pipe", "pipe"],
  });
  const r: Running = { cmd: { line, docLine: 0, expected: [], exitCode: 0 }, child, output: "" };
  child.stdout!.on("data", (b) => {
    r.output += b;
  });
  child.stderr!.on("data", (b) => {
    r.output += b;
  });
  return r;
}

const exited = (c: ChildProcess) =>
  new Promise<number>((done) => {
    if (c.exitCode !== null || c.signalCode !== null) done(c.exitCode ?? 128);
    else c.on("exit", (code) => done(code ?? 128));
  });

/** Runs one session; every process it started is stopped before it returns. */
export async function runSession(fences: Fence[], o: SessionOptions): Promise<SessionResult> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const tmp = mkdtempSync(join(tmpdir(), "qonnect-session-"));
  const repo = join(tmp, "repo");
  mkdirSync(repo);
  const subs = await substitutions(fences.flatMap((f) => f.body).join("\n"), o, join(tmp, "tmp"));
  mkdirSync(join(tmp, "tmp"));
  mirror(o.root, repo, subs);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${o.binDir}:${process.env.PATH}` };
  const background: Running[] = [];
  const problems: string[] = [];
  let log = "";
  try {
    for (const f of fences)
      for (const cmd of commandsOf(f)) {
        const line = apply(normalise(cmd.line), subs);
        const at = `${f.doc}:${cmd.docLine}: ${cmd.line}`;
        const exported = /^export (\w+)=(\S*)$/.exec(line);
        if (exported) {
          env[exported[1]!] = exported[2]!;
          continue;
        }
        if (LONG_RUNNING.test(line)) {
          const r = bash(line, repo, env, true);
          r.cmd = { ...cmd, expected: cmd.expected.map((e) => apply(e, subs)) };
          background.push(r);
          // a second terminal is running before the reader types on: wait for its first words (`watch`
          // prints its banner once subscribed, servers log as they start), else what the next command makes
          // happen (an agent's registration) can pass before anyone listens
          const readyBy = Date.now() + Math.min(timeoutMs, 30_000);
          while (r.output.length === 0 && r.child.exitCode === null && Date.now() < readyBy) await sleep(50);
          continue;
        }
        // retried until it behaves as documented: what it talks to may still be starting
        const untilMs = Date.now() + timeoutMs;
        for (let attempt = 1; ; attempt++) {
          const r = bash(line, repo, env, false);
          const code = await exited(r.child);
          const missing = unmatched(
            cmd.expected.map((e) => apply(e, subs)),
            r.output,
            "masked",
          );
          if (code === cmd.exitCode && missing.length === 0) {
            log += `$ ${line}\n${r.output}`;
            break;
          }
          if (Date.now() > untilMs) {
            problems.push(
              `${at}: exit ${code} (documented ${cmd.exitCode})${missing.length ? `; missing output: ${missing.join(" | ")}` : ""}; after ${attempt} attempts; output:\n${r.output}`,
            );
            break;
          }
          await sleep(500);
        }
      }
    // the background commands' documented output (e.g. `watch` in a second terminal)
    for (const r of background) {
      const untilMs = Date.now() + timeoutMs;
      while (unmatched(r.cmd.expected, r.output, "masked").length > 0 && Date.now() < untilMs)
        await sleep(200);
      const missing = unmatched(r.cmd.expected, r.output, "masked");
      if (missing.length)
        problems.push(
          `${r.cmd.line} (background): missing output: ${missing.join(" | ")}; output:\n${r.output}`,
        );
      if (r.child.exitCode !== null)
        problems.push(`${r.cmd.line} (background) exited early (${r.child.exitCode}):\n${r.output}`);
    }
  } finally {
    // stop in reverse order (clients before servers), each group with SIGTERM, then SIGKILL
    for (const r of [...background].reverse()) {
      try {
        process.kill(-r.child.pid!, "SIGTERM");
      } catch {}
      const stopped = await Promise.race([exited(r.child).then(() => true), sleep(15_000).then(() => false)]);
      if (!stopped)
        try {
          process.kill(-r.child.pid!, "SIGKILL");
        } catch {}
      log += `[background] ${r.cmd.line}\n${r.output}`;
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  return { problems, groups: background.map((r) => r.child.pid!), log };
}
