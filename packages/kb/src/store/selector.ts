// Kubernetes label selectors: `app=web`, `tier!=edge`, `zone in (DE,FR)`, `zone notin (PL)`, `canary`,
// `!canary`, comma-separated and all required.

export type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export type Selector = Requirement[];

export class SelectorError extends Error {
  override name = "SelectorError";
  constructor(
    readonly selector: string,
    readonly problem: string,
  ) {
    super(`label selector "${selector}": ${problem}; e.g. app=web,tier!=edge,zone in (DE,FR),!canary`);
  }
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function parseSelector(text: string | undefined): Selector {
  if (!text?.trim()) return [];
  const out: Selector = [];
  for (const part of splitTop(text)) {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!
        .split(",")
        .map((v) => v.trim())
        .filter(Boolean);
      if (!KEY.test(set[1]!)) throw new SelectorError(text, `bad key "${set[1]}"`);
      out.push({ key: set[1]!, op: set[2] as "in" | "notin", values });
      continue;
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (cmp) {
      if (!KEY.test(cmp[1]!)) throw new SelectorError(text, `bad key "${cmp[1]}"`);
      out.push({ key: cmp[1]!, op: cmp[2] === "!=" ? "!=" : "=", value: cmp[3]! });
      continue;
    }
    const exists = /^(!?)\s*([^\s=!(),]+)$/.exec(part);
    if (exists && KEY.test(exists[2]!)) {
      out.push({ key: exists[2]!, op: exists[1] ? "!exists" : "exists" });
      continue;
    }
    throw new SelectorError(text, `cannot read "${part}"`);
  }
  return out;
}

export function matches(selector: Selector, labels: Record<string, string>): boolean {
  for (const r of selector) {
    const v = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    switch (r.op) {
      case "=":
        if (v !== r.value) return false;
        break;
      case "!=":
        if (v === r.value) return false;
        break;
      case "in":
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case "notin":
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case "exists":
        if (v === undefined) return false;
        break;
      case "!exists":
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}
