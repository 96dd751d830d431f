import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands/index.js";
import { CliError, EXIT, type Io } from "./io.js";

/** The bundle (scripts/build-cli.ts) has the version built in; from source it is read from package.json. */
const VERSION =
  process.env.QONNECT_CLI_VERSION ??
  (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
    .version;

/** The result an action leaves for `run` to return. */
export interface Outcome {
  exitCode: number;
}

/** Builds the `qonnect` program writing to `io`; actions set `outcome.exitCode`. */
export function buildProgram(io: Io, outcome: Outcome): Command {
  const program = new Command("qonnect")
    .description("Place services across cloud, fog and edge from one manifest of QoS goals and hard limits.")
    .version(VERSION, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  for (const register of COMMANDS) register(program, io, outcome);
  // every subcommand inherits the output routing and the exit override
  const route = (cmd: Command) => {
    cmd.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) }).exitOverride();
    cmd.showHelpAfterError("(run with --help for usage)");
    cmd.commands.forEach(route);
  };
  program.commands.forEach(route);
  return program;
}

/** Runs the CLI in process and returns its exit code. Never calls process.exit. */
export async function run(argv: string[], io: Io): Promise<number> {
  const outcome: Outcome = { exitCode: EXIT.ok };
  const program = buildProgram(io, outcome);
  try {
    await program.parseAsync(argv, { from: "user" });
    return outcome.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; anything commander rejects is a usage error
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      io.err(`error: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}
