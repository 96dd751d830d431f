// `pnpm hil` stopped by a signal while its simulated rig runs: it stops the rig first (relays to their safe
// state, every process it started) and exits 128+signal, leaving no process and no working directory behind.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, useTempDirs, waitFor } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";

const SIM = join(import.meta.dirname, "../rigs/sim.yaml");
const MAIN = join(import.meta.dirname, "main.ts");

/** PIDs of the processes whose command line names `dir`. */
function processesIn(dir: string): number[] {
  const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .filter((line) => line.includes(dir))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe("pnpm hil and signals (simulated rig, real processes)", () => {
  const temp = useTempDirs();

  it("SIGTERM while the rig runs: the rig is stopped, nothing is left behind, exit 143", async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", MAIN, "--rig", SIM, "--out", temp()],
      { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes("waiting until both replicas"), {
        what: "the simulated rig to come up",
        timeoutMs: 300_000,
      });
      const workDir = stderr.match(/starting the region \(([^)]+)\)/)?.[1] ?? "";
      expect(workDir).not.toBe("");
      expect(processesIn(workDir).length).toBeGreaterThan(0);
      child.kill("SIGTERM");
      expect(await exited, stderr.slice(-3000)).toBe(143);
      expect(stderr).toContain("SIGTERM: stopping the rig before exiting");
      expect(processesIn(workDir)).toEqual([]);
      expect(existsSync(workDir)).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  }, 400_000);
});
