import { fogV1, telemetryV1 } from "@qonnect/proto";
import { describe, expect, it } from "vitest";
import { runCounts } from "./story-site-cut.js";

const RUNNING = telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING;
const work = (service: string, replica: number, state = RUNNING) =>
  telemetryV1.WorkloadStatus.fromPartial({ app: "a", service, replica, state });
const device = (name: string, verdict: fogV1.Verdict, workloads: telemetryV1.WorkloadStatus[]) =>
  fogV1.DeviceState.fromPartial({ name, verdict, workloads });
const region = (devices: fogV1.DeviceState[]) =>
  fogV1.RegionState.fromPartial({
    placements: [
      { app: "a", service: "s", replica: 0, device: "d1" },
      { app: "a", service: "s", replica: 1, device: "d2" },
    ],
    devices,
  });
const { VERDICT_ALIVE: ALIVE, VERDICT_UNREACHABLE: UNREACHABLE } = fogV1.Verdict;

describe("runCounts: every replica of the placement running exactly once on a live device", () => {
  it("is clean when each replica runs once", () => {
    const st = region([device("d1", ALIVE, [work("s", 0)]), device("d2", ALIVE, [work("s", 1)])]);
    expect(runCounts(st)).toEqual({ notOnce: [], twice: [] });
  });

  it("names a replica running on two live devices, and one running nowhere", () => {
    const st = region([device("d1", ALIVE, [work("s", 0)]), device("d2", ALIVE, [work("s", 0)])]);
    expect(runCounts(st)).toEqual({ notOnce: ["a/s/0", "a/s/1"], twice: ["a/s/0"] });
  });

  it("does not count what an unreachable device last reported, nor a replica that is not running", () => {
    const st = region([
      device("d1", ALIVE, [work("s", 0), work("s", 1, telemetryV1.WorkloadState.WORKLOAD_STATE_STOPPED)]),
      device("d2", UNREACHABLE, [work("s", 1)]),
    ]);
    expect(runCounts(st)).toEqual({ notOnce: ["a/s/1"], twice: [] });
  });
});
