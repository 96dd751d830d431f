import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CliError, EXIT, type Io } from "../io.js";
import { type ConnectionFlags, withClient } from "../kb-connection.js";
import type { Outcome } from "../run.js";
import { table } from "../table.js";

/** `qonnect plan --server ...`: a dry run against the Knowledge Base's live state (changes nothing). */
export async function planOnServer(
  io: Io,
  outcome: Outcome,
  opts: ConnectionFlags & { file?: string[]; explain?: boolean; json?: boolean },
): Promise<void> {
  const manifests: string[] = [];
  for (const f of opts.file ?? []) {
    try {
      manifests.push(await readFile(resolve(io.cwd, f), "utf8"));
    } catch (err) {
      throw new CliError(`cannot read ${f}: ${(err as NodeJS.ErrnoException).code ?? err}`, EXIT.usage);
    }
  }
  const p = await withClient(io, opts, (c) => c.plan(manifests, Boolean(opts.explain)));
  if (opts.json) io.out(`${JSON.stringify(p)}\n`);
  else {
    io.out(
      `dry run on the live state: ${p.feasible ? "feasible" : "INFEASIBLE"}, ${p.placements.length} replicas\n`,
    );
    if (p.placements.length)
      io.out(
        table(
          ["APP", "SERVICE", "REPLICA", "DEVICE", "REGION"],
          p.placements.map((e) => [e.app, e.service, e.replica, e.device, e.region]),
        ),
      );
    const t = p.totals;
    if (t)
      io.out(
        `totals: energy ${t.energyW.toFixed(2)} W · carbon ${t.carbonGPerH.toFixed(2)} g/h · cost ${t.costPerHour.toFixed(4)} EUR/h · objective ${t.objective.toFixed(4)}\n`,
      );
    if (p.moves.length)
      io.out(
        table(
          ["STEP", "OP", "APP", "SERVICE", "REPLICA", "DEVICE", "WHY"],
          p.moves.map((m) => [m.step, m.op, m.app, m.service, m.replica, m.device, m.why]),
        ),
      );
    for (const j of p.jobs)
      io.out(
        `job ${j.app}: start ${new Date(j.startMs).toISOString()}, saves ${j.savingG.toFixed(2)} g CO2e against starting now\n`,
      );
  }
  if (!p.feasible) {
    for (const line of p.problems) io.err(`${line}\n`);
    io.err("no plan satisfies every hard constraint: relax the constraints named above or add capacity\n");
    outcome.exitCode = EXIT.failed;
  }
}
