// How a CLI command reaches the Knowledge Base: --server/--token/--ca/--insecure flags, else the current (or
// --context) context of the config file (~/.qonnect/config, or $QONNECT_CONFIG), else $QONNECT_SERVER and
// $QONNECT_TOKEN. Errors of the API become CliErrors with exit codes scripts can rely on.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { KbClient, KbClientError } from "@qonnect/kb";
import type { Command } from "commander";
import { parse, stringify } from "yaml";
import { CliError, EXIT, type Io } from "./io.js";

export interface KbContext {
  name: string;
  server: string;
  token?: string;
  ca?: string;
  insecure?: boolean;
}

export interface KbConfig {
  currentContext?: string;
  contexts: KbContext[];
}

export interface ConnectionFlags {
  server?: string;
  token?: string;
  ca?: string;
  insecure?: boolean;
  context?: string;
}

export function configPath(io: Io): string {
  return io.env.QONNECT_CONFIG
    ? resolve(io.cwd, io.env.QONNECT_CONFIG)
    : join(homedir(), ".qonnect", "config");
}

export function readConfig(io: Io): KbConfig {
  const file = configPath(io);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { contexts: [] };
  }
  try {
    const data = parse(text) as Partial<KbConfig> | null;
    return { ...(data ?? {}), contexts: Array.isArray(data?.contexts) ? data.contexts : [] };
  } catch (err) {
    throw new CliError(`${file} is not valid YAML (${(err as Error).message}); fix or remove it`, EXIT.usage);
  }
}

/** Written atomically and readable only by its owner (it holds tokens). */
export function writeConfig(io: Io, config: KbConfig): string {
  const file = configPath(io);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, stringify(config), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/** Adds --server, --token, --ca, --insecure and --context to a command. */
export function connectionOptions(cmd: Command): Command {
  return cmd
    .option("--server <host:port>", "Knowledge Base gRPC address (default: the current context)")
    .option("--token <token>", "bearer token (default: the context's, or $QONNECT_TOKEN)")
    .option("--ca <file>", "CA certificate to verify the server with")
    .option("--insecure", "plaintext gRPC (a server started with --insecure)")
    .option("--context <name>", "use this context of the config file instead of the current one");
}

export function resolveConnection(io: Io, flags: ConnectionFlags): KbContext {
  const config = readConfig(io);
  const wanted = flags.context ?? config.currentContext;
  const ctx = wanted ? config.contexts.find((c) => c.name === wanted) : undefined;
  if (flags.context && !ctx)
    throw new CliError(
      `no context "${flags.context}" in ${configPath(io)}; create it with qonnect config set-context`,
      EXIT.usage,
    );
  const server = flags.server ?? ctx?.server ?? io.env.QONNECT_SERVER;
  if (!server)
    throw new CliError(
      "no Knowledge Base to talk to: pass --server HOST:PORT or set a context (qonnect config set-context NAME --server HOST:PORT --token TOKEN)",
      EXIT.usage,
    );
  const token = flags.token ?? (flags.server ? undefined : ctx?.token) ?? io.env.QONNECT_TOKEN;
  const ca = flags.ca ?? (flags.server ? undefined : ctx?.ca);
  const insecure = flags.insecure ?? (flags.server ? false : ctx?.insecure) ?? false;
  return {
    name: ctx?.name ?? "",
    server,
    ...(token ? { token } : {}),
    ...(ca ? { ca: resolve(io.cwd, ca) } : {}),
    insecure,
  };
}

export function connect(io: Io, flags: ConnectionFlags): KbClient {
  const c = resolveConnection(io, flags);
  return new KbClient({
    server: c.server,
    ...(c.token ? { token: c.token } : {}),
    ...(c.ca ? { caFile: c.ca } : {}),
    insecure: Boolean(c.insecure),
  });
}

/** Runs `fn` with a client and turns API errors into one-line CliErrors (problems go to stderr first). */
export async function withClient<T>(
  io: Io,
  flags: ConnectionFlags,
  fn: (c: KbClient) => Promise<T>,
): Promise<T> {
  const client = connect(io, flags);
  try {
    return await fn(client);
  } catch (err) {
    throw toCliError(io, err);
  } finally {
    client.close();
  }
}

export function toCliError(io: Io, err: unknown): unknown {
  if (!(err instanceof KbClientError)) return err;
  if (err.problems.length) {
    for (const p of err.problems) io.err(`${p.file}:${p.line}:${p.column}: ${p.message}\n`);
    return new CliError("the manifest is invalid: fix the problems above and try again", EXIT.usage);
  }
  const hint: Record<string, string> = {
    UNAUTHENTICATED: " (check --token or the context's token)",
    ABORTED: "",
  };
  return new CliError(
    `${err.codeName}: ${err.message}${hint[err.codeName] ?? ""}`,
    err.codeName === "INVALID_ARGUMENT" ? EXIT.usage : EXIT.failed,
  );
}
