// The fenced blocks of the Markdown docs, and what the docs tests do with each. A fence is checked by default:
// `sh` fences run (every line a `qonnect` command, in process), manifests (`yaml` with a qonnect apiVersion)
// go through `validate`. A marker — an HTML comment on the line before the fence — says otherwise:
//   <!-- docs-test: config NAME -->            YAML configuration of a process (agent, fog, …), loaded with its
//                                              loader (docs.test.ts lists them)
//   <!-- docs-test: session NAME -->           run with the other fences of NAME in this file, in order, as
//                                              real processes in one shell (servers, agents, a second terminal)
//   <!-- docs-test: needs hardware: WHY -->    not run here (boards, sensors, SSH to a device)
//   <!-- docs-test: needs cluster: WHY -->     not run here (Kubernetes/K3s, several machines)
//   <!-- docs-test: entry point: WHY -->       `make …` targets: they run the tests themselves
//   <!-- docs-test: deployment: WHY -->        written for a real deployment (kb.example, /var/lib, TLS files):
//                                              the component's own tests run the same commands for real
//   <!-- docs-test: installs: WHY -->          changes the machine (apt-get, make install): not run by tests
//   <!-- docs-test: fragment: WHY -->          YAML that is a piece, not a whole manifest
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export type Marker =
  | { kind: "session" | "config"; name: string }
  | {
      kind: "needs hardware" | "needs cluster" | "deployment" | "entry point" | "installs" | "fragment";
      why: string;
    };

export interface Fence {
  /** Path relative to the repository root, e.g. docs/agent.md. */
  doc: string;
  /** 1-based line of the opening ``` . */
  line: number;
  /** The info string's first word: sh, yaml, ts, text, "" … */
  lang: string;
  body: string[];
  marker?: Marker;
  /** A marker comment that does not parse: the test reports it. */
  badMarker?: string;
}

const MARKER_RE = /^<!--\s*docs-test:\s*(.*?)\s*-->$/;
const WHY_KINDS = [
  "needs hardware",
  "needs cluster",
  "deployment",
  "entry point",
  "installs",
  "fragment",
] as const;

export function parseMarker(text: string): Marker | undefined {
  const named = /^(session|config)\s+([\w-]+)$/.exec(text);
  if (named) return { kind: named[1] as "session" | "config", name: named[2]! };
  for (const kind of WHY_KINDS)
    if (text.startsWith(`${kind}:`) && text.length > kind.length + 2)
      return { kind, why: text.slice(kind.length + 1).trim() };
  return undefined;
}

/** Every fenced block of one Markdown text, with its marker. */
export function parseFences(doc: string, text: string): Fence[] {
  const lines = text.split("\n");
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, lang] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(ticks!)) end++;
    const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l));
    const fence: Fence = { doc, line: i + 1, lang: lang ?? "", body };
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === "") k--;
    const comment = k >= 0 ? MARKER_RE.exec(lines[k]!.trim()) : null;
    if (comment) {
      const marker = parseMarker(comment[1]!);
      if (marker) fence.marker = marker;
      else fence.badMarker = comment[1]!;
    }
    out.push(fence);
    i = end;
  }
  return out;
}

/** README.md and every Markdown file under docs/, relative to `root`: new docs are checked without a list. */
export function findDocs(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return walk(path);
        return name.endsWith(".md") ? [relative(root, path)] : [];
      });
  return ["README.md", ...walk(join(root, "docs"))];
}

export function readFences(root: string): Fence[] {
  return findDocs(root).flatMap((doc) => parseFences(doc, readFileSync(join(root, doc), "utf8")));
}

export const SHELL_LANGS = new Set(["sh", "bash", "shell", "console"]);

/** A command line of a shell fence: the command, and the output documented under it (`# ` lines). */
export interface DocCommand {
  line: string;
  /** 1-based line in the doc. */
  docLine: number;
  expected: string[];
  /** From a trailing `# exit N…` comment; 0 otherwise. */
  exitCode: number;
}

/** Splits a shell fence into commands (a trailing `# comment` is dropped) and the `# ` lines under each. */
export function commandsOf(fence: Fence): DocCommand[] {
  const out: DocCommand[] = [];
  fence.body.forEach((raw, k) => {
    const text = raw.trim();
    if (text === "") return;
    if (text.startsWith("#")) {
      out.at(-1)?.expected.push(text.replace(/^#\s?/, ""));
      return;
    }
    const line = stripComment(text);
    const exit = /^#\s*exit (\d+)/.exec(text.slice(line.length).trim());
    out.push({ line, docLine: fence.line + 1 + k, expected: [], exitCode: exit ? Number(exit[1]) : 0 });
  });
  return out;
}

/** `cmd args   # comment` → `cmd args` (a `#` inside quotes or a word stays). */
export function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line;
}

/** Words of a simple command line: quotes group, no expansion. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let has = false;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) words.push(cur);
      cur = "";
      has = false;
    } else cur += c;
  }
  if (has || cur) words.push(cur);
  return words;
}

/** Commands that keep running until stopped: a session starts them in the background. */
export const LONG_RUNNING = /^(qonnect (agent run|agent watch|dev raft-kv serve)\b|nats-server\b)|&$/;

/** `pnpm qonnect …` (development) and `qonnect …` (installed) are the same command. */
export const normalise = (line: string) => line.replace(/^pnpm qonnect /, "qonnect ");
