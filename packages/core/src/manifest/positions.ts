import { type Document, isMap, isPair, isScalar, type LineCounter, type Node, type Pair } from "yaml";

export type Path = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? range[0] : undefined;
}

function pairWithKey(map: unknown, key: string | number): Pair | undefined {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key)) as
    | Pair
    | undefined;
}

/**
 * The source position of `path` in `doc`: the value at the path when it exists; with `atKey`, the key of the
 * pair instead (for unknown fields); otherwise the nearest ancestor that exists (for missing fields).
 */
export function positionOf(doc: Document, lines: LineCounter, path: Path, atKey = false): Position {
  let offset = rangeStart(doc.contents) ?? 0;
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const pair = pairWithKey(node, segment);
    let next: unknown;
    if (pair) {
      if (atKey && i === path.length - 1) {
        offset = rangeStart(pair.key) ?? offset;
        break;
      }
      next = pair.value;
      const keyStart = rangeStart(pair.key);
      // A key without a value (`cpu:`) has no range of its own: point at the key.
      offset = rangeStart(next) ?? keyStart ?? offset;
    } else if (typeof segment === "number" && node && typeof node === "object" && "items" in node) {
      next = (node as { items: unknown[] }).items[segment];
      offset = rangeStart(next) ?? offset;
    } else {
      break; // missing: stay at the deepest node that exists
    }
    node = next;
  }
  const pos = lines.linePos(offset);
  return { line: pos.line, col: pos.col };
}
