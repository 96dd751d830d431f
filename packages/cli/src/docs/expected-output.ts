// Documented output against real output. Text lines match exactly (whitespace runs aside) or, for live sessions,
// with every number masked (times, watts and sequence numbers vary; the words and the layout must not); a
// documented JSON object matches an output object with the
// same keys and the same strings and booleans, numbers being any number and the string "…" any value.

/** `seq 12  2.805 W` → `seq #  # W`. */
export function maskNumbers(line: string): string {
  return line
    .replace(/\d+(\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Same shape: objects with the same keys, strings/booleans/null equal, numbers any number, "…" anything. */
export function sameShape(documented: unknown, actual: unknown): boolean {
  if (typeof documented === "number") return typeof actual === "number";
  if (documented === "…") return actual !== undefined;
  if (documented === null || typeof documented !== "object") return documented === actual;
  if (Array.isArray(documented))
    return (
      Array.isArray(actual) &&
      documented.length === actual.length &&
      documented.every((d, i) => sameShape(d, actual[i]))
    );
  if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
  const a = actual as Record<string, unknown>;
  const d = documented as Record<string, unknown>;
  const keys = (o: object) => Object.keys(o).sort().join(",");
  return keys(d) === keys(a) && Object.keys(d).every((k) => sameShape(d[k], a[k]));
}

/** The documented lines that no line of `output` matches (empty: the output is as documented). */
export function unmatched(expected: string[], output: string, mode: "exact" | "masked" = "exact"): string[] {
  const norm = mode === "masked" ? maskNumbers : (l: string) => l.replace(/\s+/g, " ").trim();
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  return expected.filter((want) => {
    const json = want.trim().startsWith("{") ? parseJson(want) : undefined;
    if (json !== undefined) return !lines.some((l) => sameShape(json, parseJson(l)));
    const wanted = norm(want);
    return !lines.some((l) => norm(l) === wanted);
  });
}
