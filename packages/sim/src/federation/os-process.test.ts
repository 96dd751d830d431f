import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterAll, describe, expect, it, vi } from "vitest";
import { OsProcess, pidNamespacesAvailable } from "./os-process.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of processes whose command line contains `marker`. */
function pidsWith(marker: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(marker) && !l.includes("ps -eo"))
    .map((l) => Number.parseInt(l.trim(), 10));
}

describe("OsProcess (real processes and signals)", () => {
  const dir = tempDir("qonnect-osproc-");
  afterAll(() => dir.remove());

  it("kill() is a power cut: every process of the device dies, even a workload in its own session", async () => {
    const marker = `qonnect-osproc-${process.pid}-${Date.now()}`;
    // the "agent" starts a "workload" in a session of its own, as the process runtime does
    const script = `setsid bash -c 'sleep 300; : ${marker}-workload' & exec bash -c 'sleep 300; : ${marker}-agent'`;
    const proc = new OsProcess({
      label: "device test",
      command: "bash",
      args: ["-c", script],
      logFile: join(dir.path, "device.log"),
      pidNamespace: true,
    });
    // (the agent's own command line names the workload too; wait for both to run)
    await vi.waitFor(() => expect(pidsWith(`${marker}-workload`).length).toBeGreaterThanOrEqual(2), {
      timeout: 10_000,
    });
    await proc.kill();
    expect(proc.running()).toBe(false);
    if (pidNamespacesAvailable()) {
      // the kernel kills the whole namespace with its first process
      await vi.waitFor(() => expect(pidsWith(marker)).toEqual([]), { timeout: 10_000 });
    } else {
      // without PID namespaces a workload that left the group survives: say so rather than pretend
      for (const pid of pidsWith(marker)) process.kill(pid, "SIGKILL");
    }
  });

  it("stop() sends SIGTERM to the group and escalates to SIGKILL after the grace", async () => {
    const proc = new OsProcess({
      label: "stubborn",
      command: "bash",
      args: ["-c", "trap '' TERM; sleep 300 & wait"],
      logFile: join(dir.path, "stubborn.log"),
    });
    expect(alive(proc.pid)).toBe(true);
    await proc.stop(300);
    expect(proc.running()).toBe(false);
    expect(alive(proc.pid)).toBe(false);
  });

  it("reapGroup() returns only once the group is empty: a member that outlived its leader is killed", async () => {
    const marker = `qonnect-reap-${process.pid}-${Date.now()}`;
    // the leader leaves a member of its group behind (no new session) and exits
    const proc = new OsProcess({
      label: "leaver",
      command: "bash",
      args: ["-c", `bash -c 'trap "" TERM; sleep 300; : ${marker}' & sleep 0.2; exit 0`],
      logFile: join(dir.path, "leaver.log"),
    });
    expect(await proc.exited()).toBe(0);
    expect(proc.groupAlive()).toBe(true);
    expect(await proc.reapGroup(10_000)).toBe(true);
    expect(proc.groupAlive()).toBe(false);
    expect(pidsWith(marker)).toEqual([]);
  });

  it("wrap runs the command through a prefix that exec()s it (as `ip netns exec NS` does)", async () => {
    const proc = new OsProcess({
      label: "wrapped",
      command: "bash",
      args: ["-c", "echo wrapped as $WRAPPED"],
      wrap: ["env", "WRAPPED=yes"],
      logFile: join(dir.path, "wrapped.log"),
    });
    expect(await proc.exited()).toBe(0);
    expect(proc.logTail()).toContain("wrapped as yes");
  });

  it("keeps the output in its log file", async () => {
    const proc = new OsProcess({
      label: "talker",
      command: "bash",
      args: ["-c", "echo hello from the log; echo and stderr >&2"],
      logFile: join(dir.path, "talker.log"),
    });
    expect(await proc.exited()).toBe(0);
    expect(proc.logTail()).toContain("hello from the log");
    expect(proc.logTail()).toContain("and stderr");
  });
});
