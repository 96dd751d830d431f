import { describe, expect, it } from "vitest";
import { maskNumbers, sameShape, unmatched } from "./expected-output.js";
import { commandsOf, parseFences, shellWords, stripComment } from "./fences.js";

const DOC = [
  "Intro",
  "",
  "<!-- docs-test: session demo -->",
  "```sh",
  "qonnect validate -f a.yaml   # exit 1: invalid",
  "# a.yaml:1:1: bad",
  "```",
  "<!-- docs-test: needs hardware: a Pi over SSH -->",
  "",
  "```bash",
  "ssh pi true",
  "```",
  "<!-- docs-test: maybe later -->",
  "```yaml",
  "kind: X",
  "```",
  "  ```text",
  "  indented",
  "  ```",
].join("\n");

describe("docs fences", () => {
  it("finds fences with their language, line, marker and indentation", () => {
    const f = parseFences("d.md", DOC);
    expect(f.map((x) => [x.line, x.lang, x.marker?.kind, x.badMarker])).toEqual([
      [4, "sh", "session", undefined],
      [10, "bash", "needs hardware", undefined],
      [14, "yaml", undefined, "maybe later"],
      [17, "text", undefined, undefined],
    ]);
    expect(f[0]!.marker).toEqual({ kind: "session", name: "demo" });
    expect(f[1]!.marker).toEqual({ kind: "needs hardware", why: "a Pi over SSH" });
    expect(f[3]!.body).toEqual(["indented"]);
  });

  it("splits a shell fence into commands, documented output and exit codes", () => {
    const [sh] = parseFences("d.md", DOC);
    expect(commandsOf(sh!)).toEqual([
      { line: "qonnect validate -f a.yaml", docLine: 5, expected: ["a.yaml:1:1: bad"], exitCode: 1 },
    ]);
    expect(stripComment(`echo "a # b" # c`)).toBe(`echo "a # b"`);
    expect(stripComment("curl -s 127.0.0.1:9080/#x")).toBe("curl -s 127.0.0.1:9080/#x");
    expect(shellWords(`qonnect plan -f "a b.yaml" --json ''`)).toEqual([
      "qonnect",
      "plan",
      "-f",
      "a b.yaml",
      "--json",
      "",
    ]);
  });

  it("matches documented output: numbers masked, JSON by shape, … as any value", () => {
    expect(maskNumbers("10:41:07.000  dev-pi-1  seq 12  2.805 W")).toBe("#:#:# dev-pi-# seq # # W");
    expect(unmatched(["seq 12  2.805 W measured"], "x\nseq 99  3.1 W measured\n", "masked")).toEqual([]);
    expect(unmatched(["seq 12  2.805 W measured"], "seq 99  3.1 W model\n", "masked")).toHaveLength(1);
    expect(unmatched(["a.yaml:10:25: bad"], "a.yaml:10:31: bad\n")).toHaveLength(1); // exact by default
    expect(unmatched(["a.yaml:10:25:  bad"], "a.yaml:10:25: bad\n")).toEqual([]);
    expect(sameShape({ ok: true, index: 5, role: "…" }, { ok: true, index: 9, role: "leader" })).toBe(true);
    expect(sameShape({ ok: true, index: 5 }, { ok: false, index: 5 })).toBe(false);
    expect(sameShape({ ok: true }, { ok: true, extra: 1 })).toBe(false);
    expect(unmatched(['{"ok":true,"key":"k"}'], '{"ok":true,"key":"k"}\n')).toEqual([]);
  });
});
