/** Where a CLI run reads and writes: the real process streams, or buffers in tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal (progress bars, colours). */
  isTty: boolean;
  /** True when stderr is a terminal: progress bars go there. */
  errIsTty?: boolean;
}

export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    isTty: Boolean(process.stdout.isTTY),
    errIsTty: Boolean(process.stderr.isTTY),
  };
}

/** An Io that collects output, for tests: `run(argv, io)` in process. */
export function bufferIo(cwd = process.cwd()): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    cwd,
    env: { ...process.env },
    isTty: false,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}

/** A failure the user can act on: printed as `error: message` with no stack, exits with `exitCode`. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
