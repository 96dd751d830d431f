// `qonnect kb backup` and `qonnect kb restore`: a consistent copy of a Knowledge Base store (SQLite's online
// backup API, or a PostgreSQL snapshot as JSON lines), and loading one into an empty (or, with --force, any)
// store of either kind. Added to the `kb` group that kb.ts makes.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { CliError, EXIT, type Io } from "../io.js";
import type { Register } from "./index.js";

const kbPackage = () => import("@qonnect/kb");

interface StoreFlags {
  data?: string;
  store: string;
  json?: boolean;
}

/** Opens the store the flags name; a SQLite store must already exist (a typo must not make an empty one). */
async function openNamed(io: Io, opts: StoreFlags, mustExist: boolean) {
  const { openStore } = await kbPackage();
  const sqlite = opts.store === "sqlite";
  if (sqlite && !opts.data)
    throw new CliError("--data DIR is needed for a SQLite store (or --store postgres://…)", EXIT.usage);
  const dir = opts.data ? resolve(io.cwd, opts.data) : "";
  if (sqlite && mustExist && !existsSync(join(dir, "kb.sqlite")))
    throw new CliError(`no Knowledge Base in ${opts.data} (no kb.sqlite there); check --data`, EXIT.usage);
  try {
    return await openStore(opts.store, dir);
  } catch (err) {
    throw new CliError(`cannot open the store: ${(err as Error).message}`, EXIT.failed);
  }
}

function report(io: Io, json: boolean | undefined, info: object, line: string): void {
  if (json) io.out(`${JSON.stringify(info)}\n`);
  else io.out(`${line}\n`);
}

const withStoreFlags = (c: Command) =>
  c
    .option("--data <dir>", "the Knowledge Base's data directory (its SQLite store)")
    .option("--store <store>", "sqlite, or the postgres:// URL kb serve uses", "sqlite")
    .option("--json", "print {file, format, resourceVersion, rows}");

export const registerKbBackup: Register = (program, io: Io) => {
  const kb = program.commands.find((c) => c.name() === "kb");
  if (!kb) throw new Error("registerKbBackup runs after registerKb");

  withStoreFlags(
    kb
      .command("backup")
      .description("copy a Knowledge Base store to a file, consistently, while kb serve keeps running")
      .requiredOption("--out <file>", "the backup file to write"),
  ).action(async (opts: StoreFlags & { out: string }) => {
    const store = await openNamed(io, opts, true);
    try {
      const info = await store.backup(resolve(io.cwd, opts.out));
      const n = info.rows.resources ?? 0;
      report(
        io,
        opts.json,
        info,
        `backed up ${n} resources at resource version ${info.resourceVersion} to ${opts.out} (${info.format})`,
      );
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`backup failed: ${(err as Error).message}`, EXIT.failed);
    } finally {
      await store.close();
    }
  });

  withStoreFlags(
    kb
      .command("restore")
      .description("load a backup into a store (empty, or replaced with --force); stop kb serve first")
      .requiredOption("--in <file>", "the backup file (from qonnect kb backup, of either store)")
      .option("--force", "replace everything in a store that is not empty"),
  ).action(async (opts: StoreFlags & { in: string; force?: boolean }) => {
    const file = resolve(io.cwd, opts.in);
    if (!existsSync(file)) throw new CliError(`no backup file ${opts.in}`, EXIT.usage);
    const { BackupFormatError, RestoreTargetNotEmptyError } = await kbPackage();
    const store = await openNamed(io, opts, false);
    try {
      const info = await store.restore(file, { force: Boolean(opts.force) });
      report(
        io,
        opts.json,
        info,
        `restored ${info.rows.resources ?? 0} resources at resource version ${info.resourceVersion} from ${opts.in}`,
      );
    } catch (err) {
      if (err instanceof BackupFormatError) throw new CliError(err.message, EXIT.usage);
      if (err instanceof RestoreTargetNotEmptyError) throw new CliError(err.message, EXIT.failed);
      throw new CliError(`restore failed: ${(err as Error).message}`, EXIT.failed);
    } finally {
      await store.close();
    }
  });
};
