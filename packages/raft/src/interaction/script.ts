// Text scenario scripts with golden output, in the style of etcd's raft interaction tests:
//
//   # what this step shows
//   command arg key=value
//   ----
//   expected output lines
//   <blank line>
//
// `runScript` executes each command on a Harness and compares; with rewrite set it returns the file with the
// actual output in place (RAFT_REWRITE=1 npx vitest run packages/raft/src/interaction.test.ts).
import type { ConfChangeType } from "../conf-change.js";
import { Harness } from "./harness.js";

export interface ScriptResult {
  /** The script with every expected block replaced by what happened. */
  rewritten: string;
  mismatches: { line: number; command: string; expected: string; actual: string }[];
}

interface Args {
  pos: string[];
  kv: Map<string, string>;
  flags: Set<string>;
}

function parseArgs(words: string[]): Args {
  const a: Args = { pos: [], kv: new Map(), flags: new Set() };
  for (const w of words) {
    const eq = w.indexOf("=");
    if (eq > 0) a.kv.set(w.slice(0, eq), w.slice(eq + 1));
    else if (w === "quiet") a.flags.add(w);
    else a.pos.push(w);
  }
  return a;
}

const ids = (s: string | undefined) => (s ? s.split(",").map(Number) : []);

function num(a: Args, i: number): number {
  const v = Number(a.pos[i]);
  if (!Number.isInteger(v)) throw new Error(`argument ${i + 1} must be an integer, got ${a.pos[i]}`);
  return v;
}

/** Runs one command; returns its output lines. */
function execute(h: Harness, cmd: string, a: Args): string[] {
  const before = h.out.length;
  const nodes = () => (a.pos.length ? a.pos.map(Number) : [...h.nodes.keys()].sort((x, y) => x - y));
  switch (cmd) {
    case "add-nodes": {
      const config: Record<string, number | boolean> = {};
      for (const [k, v] of a.kv)
        if (k !== "ids" && k !== "voters") config[k] = v === "true" || (v === "false" ? false : Number(v));
      h.addNodes(ids(a.kv.get("ids")), ids(a.kv.get("voters")), config);
      h.stabilize(); // apply the bootstrap conf entries
      h.out.length = before;
      for (const id of ids(a.kv.get("ids"))) h.log(h.status(id));
      break;
    }
    case "campaign":
      h.get(num(a, 0)).node.campaign();
      break;
    case "propose":
      h.propose(num(a, 0), a.pos[1] ?? "");
      break;
    case "propose-conf-change":
      h.proposeConfChange(num(a, 0), { type: a.pos[1] as ConfChangeType, nodeId: num(a, 2) });
      break;
    case "read-index":
      h.readIndex(num(a, 0), a.pos[1] ?? "");
      break;
    case "transfer-leader":
      h.get(num(a, 0)).node.transferLeader(num(a, 1));
      break;
    case "tick":
      h.tick(num(a, 0), a.pos[1] ? num(a, 1) : 1);
      break;
    case "tick-all":
      h.tickAll(num(a, 0));
      break;
    case "stabilize":
      h.stabilize();
      break;
    case "process-ready":
      for (const id of nodes()) h.processReady(id);
      break;
    case "deliver":
      h.deliverAll();
      break;
    case "round":
      for (const id of nodes()) h.processReady(id);
      h.deliverAll();
      break;
    case "partition":
      h.partition(
        a.pos
          .join(" ")
          .split("|")
          .map((g) => ids(g.trim())),
      );
      break;
    case "isolate":
      h.isolate(num(a, 0));
      break;
    case "heal":
      h.heal();
      break;
    case "restart":
      h.restart(num(a, 0));
      break;
    case "compact":
      h.compact(num(a, 0));
      break;
    case "status":
      for (const id of nodes()) h.log(h.status(id));
      break;
    case "log":
      for (const id of nodes()) h.log(h.logOf(id));
      break;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
  let lines = h.out.slice(before);
  if (a.flags.has("quiet")) lines = lines.filter((l) => !l.startsWith("  "));
  return lines.length ? lines : ["ok"];
}

export function runScript(text: string): ScriptResult {
  const h = new Harness();
  const lines = text.split("\n");
  const out: string[] = [];
  const mismatches: ScriptResult["mismatches"] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (line.trim() === "" || line.startsWith("#")) {
      out.push(line);
      i++;
      continue;
    }
    const commandLine = i + 1;
    const words = line.trim().split(/\s+/);
    out.push(line);
    i++;
    if (lines[i] !== "----") throw new Error(`line ${i + 1}: expected ---- after the command`);
    out.push("----");
    i++;
    const expected: string[] = [];
    while (i < lines.length && (lines[i] ?? "") !== "") expected.push(lines[i++] ?? "");
    let actual: string[];
    try {
      actual = execute(h, words[0] ?? "", parseArgs(words.slice(1)));
    } catch (err) {
      actual = [`error: ${(err as Error).message}`];
    }
    out.push(...actual);
    if (actual.join("\n") !== expected.join("\n"))
      mismatches.push({
        line: commandLine,
        command: line,
        expected: expected.join("\n"),
        actual: actual.join("\n"),
      });
  }
  return { rewritten: out.join("\n"), mismatches };
}
