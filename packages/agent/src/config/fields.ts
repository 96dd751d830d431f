import { didYouMean } from "@qonnect/core";

/**
 * A small reader for untyped YAML values that collects every problem instead of stopping at the first:
 * each accessor returns a typed value (or undefined) and records `path: message` for what is wrong.
 */
export class FieldReader {
  readonly problems: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push(`${path || "(top level)"}: ${message}`);
  }

  /** The object at `path`, or undefined (with a problem when present but not an object). */
  object(value: unknown, path: string, required = false): Record<string, unknown> | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, "is required");
      return undefined;
    }
    if (typeof value !== "object" || Array.isArray(value)) {
      this.problem(path, `must be a mapping, got ${describe(value)}`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  /** Reports keys of `obj` that are not in `known`, with a suggestion when one is close. */
  unknownKeys(obj: Record<string, unknown>, path: string, known: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const hint = didYouMean(key, known);
      this.problem(join(path, key), `unknown field${hint || ` (known: ${known.join(", ")})`}`);
    }
  }

  string(obj: Record<string, unknown>, key: string, path: string, opts: StringOpts = {}): string | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (opts.required) this.problem(at, "is required");
      return undefined;
    }
    if (typeof value !== "string" || value.length === 0) {
      this.problem(at, `must be a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    if (opts.oneOf && !opts.oneOf.includes(value)) {
      this.problem(at, `must be one of ${opts.oneOf.join(", ")}, got "${value}"`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.re.test(value)) {
      this.problem(at, `${opts.pattern.message}, got "${value}"`);
      return undefined;
    }
    return value;
  }

  number(obj: Record<string, unknown>, key: string, path: string, opts: NumberOpts = {}): number | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (opts.required) this.problem(at, "is required");
      return undefined;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.problem(at, `must be a number, got ${describe(value)}`);
      return undefined;
    }
    if (opts.integer && !Number.isInteger(value)) {
      this.problem(at, `must be a whole number, got ${value}`);
      return undefined;
    }
    if (opts.min !== undefined && value < opts.min) {
      this.problem(at, `must be at least ${opts.min}, got ${value}`);
      return undefined;
    }
    if (opts.max !== undefined && value > opts.max) {
      this.problem(at, `must be at most ${opts.max}, got ${value}`);
      return undefined;
    }
    return value;
  }

  stringList(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    required = false,
  ): string[] | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (required) this.problem(at, "is required");
      return undefined;
    }
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || list.length === 0) {
      this.problem(at, `must be a non-empty list of strings, got ${describe(value)}`);
      return undefined;
    }
    const out: string[] = [];
    list.forEach((item, i) => {
      if (typeof item === "string" && item.length > 0) out.push(item);
      else this.problem(`${at}[${i}]`, `must be a non-empty string, got ${describe(item)}`);
    });
    return out.length === list.length ? out : undefined;
  }

  stringMap(obj: Record<string, unknown>, key: string, path: string): Record<string, string> {
    const map = this.object(obj[key], join(path, key));
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(map ?? {})) {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
      else this.problem(join(join(path, key), k), `must be a string, got ${describe(v)}`);
    }
    return out;
  }
}

export interface StringOpts {
  required?: boolean;
  oneOf?: readonly string[];
  pattern?: { re: RegExp; message: string };
}

export interface NumberOpts {
  required?: boolean;
  integer?: boolean;
  min?: number;
  max?: number;
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}
