import { runSimulation, type SimulationResult } from "@qonnect/raft";
import { CliError, EXIT } from "../io.js";
import type { Register } from "./index.js";

function positiveInt(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min)
    throw new CliError(`${name} must be an integer ≥ ${min}, got "${raw}"`, EXIT.usage);
  return v;
}

function table(r: SimulationResult): string {
  const rows: [string, string | number][] = [
    ["seeds", r.seeds],
    ["violations", r.violations],
    ["ticks", r.ticks],
    ["elections", r.elections],
    ["committed entries", r.committedEntries],
    ["messages", r.messages],
    ["client ops (unknown outcome)", `${r.clientOps} (${r.unknownOps})`],
    ["crashes", r.crashes],
    ["membership changes", r.confChanges],
    ["leadership transfers", r.transfers],
    ["snapshot chunks sent", r.snapshotChunks],
    ["worst ticks from healing to a commit", r.maxRecoveryTicks],
    ["duration", `${(r.durationMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

/** `qonnect dev raft-sim`: seeded whole-cluster Raft simulation with safety and linearizability checks. */
export const registerRaftSim: Register = (program, io, outcome) => {
  program
    .command("raft-sim")
    .description(
      "simulate Raft clusters under loss, partitions, crashes and membership changes; check safety and linearizability",
    )
    .option("--seeds <n>", "number of seeds to run", "100")
    .option("--first-seed <n>", "first seed of the range", "1")
    .option("--seed <s>", "replay exactly this seed (prints its trace unless --json)")
    .option("--json", "print one JSON object")
    .option(
      "--inject-bug <bug>",
      "run with a known driver bug to see the checks catch it: local-reads, ack-before-persist",
    )
    .action(
      (opts: { seeds: string; firstSeed: string; seed?: string; json?: boolean; injectBug?: string }) => {
        const bugs = ["local-reads", "ack-before-persist"] as const;
        const bug = bugs.find((b) => b === opts.injectBug);
        if (opts.injectBug !== undefined && !bug)
          throw new CliError(
            `unknown --inject-bug "${opts.injectBug}" (known: ${bugs.join(", ")})`,
            EXIT.usage,
          );
        const seeds = positiveInt("--seeds", opts.seeds, 1)!;
        const firstSeed = positiveInt("--first-seed", opts.firstSeed, 0)!;
        const seed = positiveInt("--seed", opts.seed, 0);
        const trace = seed !== undefined && !opts.json;
        if (!opts.json && seed === undefined) io.err(`running ${seeds} seeds from ${firstSeed}...\n`);
        const r = runSimulation({
          seeds,
          firstSeed,
          ...(seed !== undefined ? { seed } : {}),
          ...(bug ? { bug } : {}),
          ...(trace ? { log: (line: string) => io.out(`${line}\n`) } : {}),
        });
        if (opts.json) io.out(`${JSON.stringify(r)}\n`);
        else {
          io.out(`${table(r)}\n`);
          for (const v of r.failures) io.err(`seed ${v.seed} tick ${v.tick}: ${v.kind}: ${v.detail}\n`);
        }
        if (r.violations > 0) {
          io.err(
            `${r.violations} violation(s) in seed(s) ${r.failedSeeds.join(", ")}; replay with ` +
              `\`qonnect dev raft-sim --seed ${r.failedSeeds[0]}${opts.injectBug ? ` --inject-bug ${opts.injectBug}` : ""}\`\n`,
          );
          outcome.exitCode = EXIT.failed;
        }
      },
    );
};
