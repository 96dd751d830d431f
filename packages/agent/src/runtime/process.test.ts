import { readFileSync } from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { alive, tempDir, waitFor } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";

import { ProcessRuntime } from "./process.js";

const { WorkloadState } = telemetryV1;

function spec(service: string, script: string, extra: Partial<telemetryV1.WorkloadSpec> = {}) {
  return telemetryV1.WorkloadSpec.fromPartial({
    app: "test",
    service,
    command: ["/bin/sh", "-c", script],
    ...extra,
  });
}

describe("process runtime", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const runtime = (stopGraceMs = 2000) => {
    const dir = tempDir("qonnect-proc-");
    const rt = new ProcessRuntime({
      workDir: dir.path,
      logDir: join(dir.path, "logs"),
      stopGraceMs,
      minBackoffMs: 50,
    });
    cleanups.push(
      () => dir.remove(),
      () => rt.close(),
    );
    return { rt, dir: dir.path };
  };
  const stateOf = async (rt: ProcessRuntime, service: string) =>
    (await rt.status()).find((w) => w.service === service);

  it("passes PORT, QONNECT_SERVICE and QONNECT_CALLS and captures the output", async () => {
    const { rt, dir } = runtime();
    await rt.apply([
      spec("echo", 'echo "port=$PORT service=$QONNECT_SERVICE calls=$QONNECT_CALLS"; exec sleep 60', {
        ports: [9080],
        calls: [{ service: "details", host: "10.0.0.2", port: 9081 }],
      }),
    ]);
    const log = join(dir, "logs", "test_echo_0.log");
    await waitFor(() => readFileSync(log, "utf8").includes("port="), { what: "the workload's output" });
    expect(readFileSync(log, "utf8")).toContain("port=9080 service=echo calls=details=10.0.0.2:9081");
    expect((await stateOf(rt, "echo"))?.state).toBe(WorkloadState.WORKLOAD_STATE_RUNNING);
  }, 60_000);

  it("restarts a crashed workload with backoff and counts restarts", async () => {
    const { rt } = runtime();
    await rt.apply([spec("crashy", "echo boom >&2; exit 3")]);
    await waitFor(async () => ((await stateOf(rt, "crashy"))?.restarts ?? 0) >= 2, { what: "two restarts" });
    expect((await stateOf(rt, "crashy"))?.message).toBe("exited with code 3: boom");
  }, 60_000);

  it("restarts a workload killed from outside", async () => {
    const { rt } = runtime();
    await rt.apply([spec("victim", "exec sleep 60")]);
    await waitFor(() => rt.pids().has("test/victim/0"), { what: "the workload to start" });
    const first = rt.pids().get("test/victim/0")!;
    process.kill(first, "SIGKILL");
    await waitFor(() => (rt.pids().get("test/victim/0") ?? first) !== first, { what: "a new process" });
    expect((await stateOf(rt, "victim"))?.restarts).toBe(1);
  }, 60_000);

  it("reconciles idempotently: keeps unchanged, restarts changed, stops unlisted", async () => {
    const { rt } = runtime();
    const a = spec("a", "exec sleep 60");
    const b = spec("b", "exec sleep 60");
    await rt.apply([a, b]);
    await waitFor(() => rt.pids().size === 2, { what: "two workloads" });
    const before = new Map(rt.pids());
    await rt.apply([
      { ...a, plan: "plan-2" },
      { ...b, env: { X: "1" } },
    ]);
    await waitFor(() => rt.pids().size === 2, { what: "two workloads" });
    expect(rt.pids().get("test/a/0")).toBe(before.get("test/a/0"));
    expect(rt.pids().get("test/b/0")).not.toBe(before.get("test/b/0"));
    await rt.apply([a]);
    expect([...rt.pids().keys()]).toEqual(["test/a/0"]);
    expect(alive(before.get("test/b/0")!)).toBe(false);
  }, 60_000);

  it("stops the whole process group, with SIGKILL after the grace period", async () => {
    const { rt, dir } = runtime(300);
    // ignores SIGTERM and has a grandchild
    await rt.apply([spec("stubborn", `trap '' TERM; sleep 60 & echo $! > ${dir}/grandchild; wait`)]);
    await waitFor(() => readFileSync(join(dir, "grandchild"), "utf8").trim().length > 0, {
      what: "the grandchild",
    });
    const leader = rt.pids().get("test/stubborn/0")!;
    const grandchild = Number(readFileSync(join(dir, "grandchild"), "utf8"));
    await rt.apply([]);
    expect(alive(leader)).toBe(false);
    await waitFor(() => !alive(grandchild), { what: "the grandchild to die" });
  }, 60_000);
});
