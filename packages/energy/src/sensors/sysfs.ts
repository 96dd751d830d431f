// Reading sysfs attributes under a root directory ("/" on a machine, a fixture tree in tests). Attributes are
// re-read on every call: sysfs produces a fresh value per open.
import { readdir, readFile, realpath } from "node:fs/promises";
import { basename, join } from "node:path";
import { SensorNotFoundError, SysfsReadError } from "./errors.js";

/** Joins a root and an absolute sysfs path: sysPath("/tmp/x", "/sys/class/hwmon") → /tmp/x/sys/class/hwmon. */
export function sysPath(root: string, ...parts: string[]): string {
  return join(root, ...parts);
}

function code(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** errno codes a driver returns for "no value right now" rather than a broken device. */
const NO_DATA_CODES = new Set(["ENODATA", "EAGAIN"]);

/** The outcome of reading one attribute: its text, absent (ENOENT), or no data (ENODATA from the driver). */
export type AttrText = { text: string } | { missing: true } | { noData: true };

/** Reads an attribute, trimmed. Other errors than ENOENT/ENODATA become SysfsReadError. */
export async function readAttr(path: string, sensorId: string): Promise<AttrText> {
  try {
    return { text: (await readFile(path, "utf8")).trim() };
  } catch (err) {
    const c = code(err);
    if (c === "ENOENT" || c === "ENOTDIR") return { missing: true };
    if (c !== undefined && NO_DATA_CODES.has(c)) return { noData: true };
    throw new SysfsReadError(`cannot read ${path}: ${c ?? (err as Error).message}`, sensorId, path, c, {
      cause: err,
    });
  }
}

/** Reads an attribute's text, or undefined when it does not exist or has no data. */
export async function readText(path: string, sensorId: string): Promise<string | undefined> {
  const a = await readAttr(path, sensorId);
  return "text" in a ? a.text : undefined;
}

/** Parses an integer attribute (sysfs numbers are decimal integers in fixed units). */
export function parseIntAttr(text: string, path: string, sensorId: string): number {
  if (!/^-?\d+$/.test(text))
    throw new SysfsReadError(`${path} holds "${text}", not an integer`, sensorId, path, undefined);
  return Number(text);
}

/** Reads an integer attribute, or undefined when it does not exist or has no data. */
export async function readInt(path: string, sensorId: string): Promise<number | undefined> {
  const text = await readText(path, sensorId);
  return text === undefined ? undefined : parseIntAttr(text, path, sensorId);
}

/** Entries of a directory, sorted naturally (hwmon2 before hwmon10); [] when it does not exist. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  } catch {
    return [];
  }
}

/** The last path component of where a symlink such as `hwmon2/device` points, or undefined. */
export async function linkTarget(path: string): Promise<string | undefined> {
  try {
    return basename(await realpath(path));
  } catch {
    return undefined;
  }
}

/** Throws SensorNotFoundError unless `dir` exists and has the attribute `probe`. */
export async function requireDir(dir: string, probe: string, sensorId: string): Promise<void> {
  if ("missing" in (await readAttr(join(dir, probe), sensorId)))
    throw new SensorNotFoundError(`${join(dir, probe)} does not exist`, sensorId, dir);
}
