#!/usr/bin/env -S npx tsx
// The `qonnect` process: `run(argv, io)` on the real streams, plus what only a process has — signals. Bundled
// into dist/cli/qonnect.mjs by scripts/build-cli.ts (`make install` puts it on PATH).
import { processIo } from "./io.js";
import { quietIpServerNameWarning } from "./ip-servername-warning.js";
import { stopDescendants } from "./process-tree.js";
import { run } from "./run.js";

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
/** How long a command that stops itself on a signal (agent run, raft-kv serve, agent watch) may take. */
const SELF_STOP_GRACE_MS = 20_000;

let stopping = false;
/**
 * SIGINT/SIGTERM: commands that stop themselves gracefully listen for the signal too (`process.on`); they get
 * SELF_STOP_GRACE_MS, then whatever they left running is stopped. Any other command is interrupted at once:
 * every process it started (nats-server, agents' workloads, ...) gets SIGTERM, then SIGKILL, and qonnect
 * exits with 128 + the signal number.
 */
function onSignal(sig: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  const handledByCommand = process.listenerCount(sig) > 1;
  const giveUp = async () => {
    await stopDescendants();
    process.exit(SIGNAL_EXIT[sig] ?? 1);
  };
  if (handledByCommand) setTimeout(giveUp, SELF_STOP_GRACE_MS).unref();
  else void giveUp();
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
quietIpServerNameWarning();

const exitCode = await run(process.argv.slice(2), processIo());
// a command that stopped on a signal may leave children behind only by mistake: stop them too
if (stopping) await stopDescendants();
process.exitCode = exitCode;
