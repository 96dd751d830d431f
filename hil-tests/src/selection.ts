// `--select label=value`: a selector whose key is a test label (`test`, `area`) picks tests; any other key
// picks device boards by their labels (plus the built-in `name` and `type`). Fog boards are not filtered.
import type { HilTest } from "./hil-test.js";
import type { Board } from "./rig-manifest.js";

export class SelectorError extends Error {
  override name = "SelectorError";
  constructor(readonly selector: string) {
    super(`--select ${selector}: write label=value, e.g. --select area=power or --select camera=true`);
  }
}

export interface Selector {
  key: string;
  value: string;
}

export function parseSelectors(args: string[]): Selector[] {
  return args.map((a) => {
    const i = a.indexOf("=");
    if (i <= 0 || i === a.length - 1) throw new SelectorError(a);
    return { key: a.slice(0, i), value: a.slice(i + 1) };
  });
}

const TEST_KEYS = new Set(["test", "area"]);

export function selectTests(tests: HilTest[], selectors: Selector[]): HilTest[] {
  const own = selectors.filter((s) => TEST_KEYS.has(s.key));
  return tests.filter((t) => own.every((s) => ({ test: t.name, ...t.labels })[s.key] === s.value));
}

export function selectBoards(boards: Board[], selectors: Selector[]): Board[] {
  const own = selectors.filter((s) => !TEST_KEYS.has(s.key));
  return boards.filter(
    (b) =>
      b.role !== "device" ||
      own.every((s) => ({ ...b.labels, name: b.name, type: b.type })[s.key] === s.value),
  );
}
