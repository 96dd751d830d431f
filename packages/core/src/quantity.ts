/**
 * Quantities the way Kubernetes users write them. Every parser returns a plain number whose unit is
 * in the function's name and throws {@link QuantityError} (with the accepted forms) on bad input.
 */

/** A quantity string that does not have an accepted form. `expected` says what would have been accepted. */
export class QuantityError extends Error {
  override name = "QuantityError";
  constructor(
    readonly input: unknown,
    readonly expected: string,
  ) {
    super(`${JSON.stringify(input)} is not a valid quantity: ${expected}`);
  }
}

export const CPU_FORM = "cpu must look like 500m or 2";
export const MEMORY_FORM = "memory must look like 256Mi, 1Gi, 1G or a number of bytes";
export const DURATION_FORM = "a duration must look like 30s, 5m, 2h, 1d or 1h30m";

const CPU_RE = /^(\d+(?:\.\d+)?)(m?)$/;

/** cpu: `2`, `0.5`, `500m` (millicores) or a number of cores → cores. */
export function parseCpuCores(input: string | number): number {
  if (typeof input === "number") {
    if (Number.isFinite(input) && input >= 0) return input;
    throw new QuantityError(input, CPU_FORM);
  }
  const m = CPU_RE.exec(input.trim());
  if (!m) throw new QuantityError(input, CPU_FORM);
  const value = Number(m[1]);
  return m[2] === "m" ? value / 1000 : value;
}

const MEMORY_SUFFIX_BYTES: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const MEMORY_RE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$/;

/** memory: `256Mi`, `1Gi`, `1G`, `512k` or a number of bytes → bytes (rounded up to a whole byte). */
export function parseMemoryBytes(input: string | number): number {
  if (typeof input === "number") {
    if (Number.isFinite(input) && input >= 0) return Math.ceil(input);
    throw new QuantityError(input, MEMORY_FORM);
  }
  const m = MEMORY_RE.exec(input.trim());
  if (!m) throw new QuantityError(input, MEMORY_FORM);
  return Math.ceil(Number(m[1]) * (MEMORY_SUFFIX_BYTES[m[2] ?? ""] ?? 1));
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** duration: `30s`, `5m`, `2h`, `1d`, `1h30m`, `250ms` → milliseconds. */
export function parseDurationMs(input: string): number {
  const text = input.trim();
  if (!DURATION_RE.test(text)) throw new QuantityError(input, DURATION_FORM);
  let totalMs = 0;
  for (const m of text.matchAll(DURATION_PART_RE)) totalMs += Number(m[1]) * (DURATION_UNIT_MS[m[2]!] ?? 0);
  return totalMs;
}

/** True when `input` parses; for schema refinements. */
export function isQuantity(parse: (input: never) => number, input: unknown): boolean {
  try {
    parse(input as never);
    return true;
  } catch {
    return false;
  }
}

/** Formats bytes the way `kubectl` users read them (binary units, at most one decimal). */
export function formatMemoryBytes(bytes: number): string {
  const units = ["", "Ki", "Mi", "Gi", "Ti", "Pi"];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${units[i]}`;
}

/** Formats cores as `500m` below one core and as a plain number above. */
export function formatCpuCores(cores: number): string {
  if (cores < 1) return `${Math.round(cores * 1000)}m`;
  return Number.isInteger(cores) ? String(cores) : cores.toFixed(3).replace(/0+$/, "");
}
