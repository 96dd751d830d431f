// How the federation runs qonnect commands as processes of their own: `node --import tsx` on the CLI's
// entry (the same `qonnect` a person runs with `pnpm qonnect`), so every server of the demo is a real OS
// process with its own PID, log and data directory.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const require = createRequire(import.meta.url);

/** The repository root: the nearest folder above this file (source or bundle) with pnpm-workspace.yaml. */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return resolve(from, "../../../..");
  }
}
export const REPO_ROOT = findRepoRoot(import.meta.dirname);

let bundled: string | undefined;

/**
 * Runs every process of the federation from the bundled CLI (`pnpm build:cli`'s one-file qonnect): a process
 * then starts in about a second instead of compiling the sources with tsx each time.
 */
export function useBundledCli(file: string): void {
  bundled = file;
}

/** `node` arguments that run the qonnect CLI with `args`: the bundle when there is one, else the sources. */
export function cliArgv(args: string[]): { command: string; args: string[] } {
  if (bundled) return { command: process.execPath, args: [bundled, ...args] };
  const tsx = require.resolve("tsx");
  return {
    command: process.execPath,
    args: ["--import", tsx, resolve(REPO_ROOT, "packages/cli/src/main.ts"), ...args],
  };
}

/** The outcome of one finished CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one `qonnect …` command to completion (apply, get, token create). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const { command, args: argv } = cliArgv(args);
  return new Promise((done) => {
    execFile(command, argv, { cwd: REPO_ROOT, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

export class CliCommandError extends Error {
  override name = "CliCommandError";
  constructor(
    readonly argv: string[],
    readonly result: CliResult,
  ) {
    super(
      `qonnect ${argv.join(" ")} exited ${result.code}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`,
    );
  }
}

/** Runs a command that must succeed; returns its stdout. */
export async function cliOk(args: string[]): Promise<string> {
  const result = await runCli(args);
  if (result.code !== 0) throw new CliCommandError(args, result);
  return result.stdout;
}
