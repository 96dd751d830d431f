import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * The repository root (firmware-scripts/, infra/, dist/ live there): the nearest folder above this module
 * that holds firmware-scripts/, so the sources and the bundled CLI (dist/cli/) find the same files.
 */
function findRepoRoot(from: string): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir))
    if (existsSync(join(dir, "firmware-scripts", "qonnect-board.sh"))) return dir;
  return resolve(from, "../../..");
}
export const REPO_ROOT = findRepoRoot(import.meta.dirname);

/** The directory of the shell that runs on the board: the very files the CLI uploads. */
export const FIRMWARE_SCRIPTS_DIR = join(REPO_ROOT, "firmware-scripts");

/** The board script (probe, apply, rollback), read from firmware-scripts/ — never a second copy. */
export function boardScript(): Buffer {
  return readFileSync(join(FIRMWARE_SCRIPTS_DIR, "qonnect-board.sh"));
}

/** The first-boot script of the image mode. */
export function firstrunScript(): Buffer {
  return readFileSync(join(FIRMWARE_SCRIPTS_DIR, "firstrun.sh"));
}

/** The agent's systemd unit, installed by path as infra/systemd holds it. */
export const DEFAULT_UNIT_FILE = join(REPO_ROOT, "infra/systemd/qonnect-agent.service");

/** Where `pnpm build:agent` puts the agent bundle. */
export const DEFAULT_BUNDLE_DIR = join(REPO_ROOT, "dist/agent");

/** Quote one word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
