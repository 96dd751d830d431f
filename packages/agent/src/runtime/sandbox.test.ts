// Workloads of the process runtime under their own uid with rlimits. These machines have no cgroup v2
// delegation, so this exercises the fallback: util-linux prlimit (RLIMIT_AS, NPROC, CPU, NOFILE) + setuid.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { telemetryV1 } from "@qonnect/proto";
import { tempDir, waitFor } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "../state-store.js";
import { ProcessRuntime } from "./process.js";

const NOBODY = 65534;

describe("process runtime sandbox (rlimits via prlimit fallback; no cgroup v2 here)", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("runs a workload as another uid with limits; it cannot read the agent's state", async () => {
    const dir = tempDir("qonnect-sandbox-");
    cleanups.push(() => dir.remove());
    const store = new StateStore(join(dir.path, "state"));
    store.save({ token: { term: 1, planVersion: 1 }, desired: [], seqReserved: 0 });
    const rt = new ProcessRuntime({
      workDir: dir.path,
      logDir: join(dir.path, "logs"),
      stopGraceMs: 1000,
      sandbox: {
        uid: NOBODY,
        gid: NOBODY,
        addressSpaceBytes: 512 * 1024 * 1024,
        processes: 64,
        cpuSeconds: 30,
        openFiles: 64,
      },
    });
    cleanups.push(() => rt.close());
    const script = `echo uid=$(id -u) as=$(ulimit -v) nofile=$(ulimit -n) cpu=$(ulimit -t); cat ${store.file} >/dev/null 2>&1 && echo READ || echo DENIED; exec sleep 60`;
    await rt.apply([
      telemetryV1.WorkloadSpec.fromPartial({
        app: "t",
        service: "probe",
        command: ["/bin/sh", "-c", script],
      }),
    ]);
    const log = join(dir.path, "logs", "t_probe_0.log");
    await waitFor(() => /DENIED|READ/.test(readFileSync(log, "utf8")), { what: "the probe's output" });
    const out = readFileSync(log, "utf8");
    expect(out).toContain(`uid=${NOBODY} as=524288 nofile=64 cpu=30`);
    expect(out).toContain("DENIED");
  });

  it("a command Node cannot spawn fails that workload alone", async () => {
    const dir = tempDir("qonnect-sandbox-");
    cleanups.push(() => dir.remove());
    const rt = new ProcessRuntime({ workDir: dir.path, logDir: join(dir.path, "logs"), stopGraceMs: 1000 });
    cleanups.push(() => rt.close());
    await rt.apply([
      telemetryV1.WorkloadSpec.fromPartial({ app: "t", service: "bad", command: ["/bin/sh", "-c", "a\0b"] }),
      telemetryV1.WorkloadSpec.fromPartial({
        app: "t",
        service: "good",
        command: ["/bin/sh", "-c", "exec sleep 60"],
      }),
    ]);
    await waitFor(
      async () => {
        const s = await rt.status();
        return (
          s.find((w) => w.service === "good")?.state === telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING &&
          s.find((w) => w.service === "bad")?.state === telemetryV1.WorkloadState.WORKLOAD_STATE_FAILED
        );
      },
      { what: "good running, bad failed" },
    );
  });
});
