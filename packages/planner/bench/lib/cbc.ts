// COIN-OR CBC (Debian's `coinor-cbc`) as an independent check of HiGHS's optima: it solves the MPS that
// `problemMps` writes, and its objective is compared with ours.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CbcResult {
  status: "optimal" | "infeasible" | "stopped" | "error";
  objective?: number;
  wallMs: number;
  /** CBC's own CPU time (from its report), ms. */
  cpuMs?: number;
}

/** True when the `cbc` binary runs here; otherwise the benchmark says how to install it. */
export function cbcAvailable(): boolean {
  return spawnSync("cbc", ["-quit"], { encoding: "utf8" }).status === 0;
}

export function solveWithCbc(mps: string, timeLimitS: number): CbcResult {
  const dir = mkdtempSync(join(tmpdir(), "qonnect-cbc-"));
  try {
    const file = join(dir, "model.mps");
    writeFileSync(file, mps);
    const t = performance.now();
    const run = spawnSync("cbc", [file, "-sec", String(timeLimitS), "-threads", "1", "-solve", "-quit"], {
      encoding: "utf8",
      maxBuffer: 64 * 2 ** 20,
    });
    const wallMs = performance.now() - t;
    const out = run.stdout ?? "";
    const objective = /Objective value:\s+(-?[\d.eE+-]+)/.exec(out)?.[1];
    const cpu = /Total time \(CPU seconds\):\s+([\d.]+)/.exec(out)?.[1];
    const cpuMs = cpu !== undefined ? Number(cpu) * 1000 : undefined;
    if (/Result - Optimal solution found/.test(out))
      return {
        status: "optimal",
        objective: Number(objective),
        wallMs,
        ...(cpuMs !== undefined ? { cpuMs } : {}),
      };
    // the model has no unbounded direction (every cost is non-negative), so "infeasible or unbounded" is the former
    if (
      /infeasible/i.test(out.split("Result -")[1] ?? "") ||
      /Problem is infeasible|Pre-processing says infeasible/.test(out)
    )
      return { status: "infeasible", wallMs, ...(cpuMs !== undefined ? { cpuMs } : {}) };
    if (/Result - Stopped/.test(out))
      return { status: "stopped", wallMs, ...(cpuMs !== undefined ? { cpuMs } : {}) };
    return { status: "error", wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
