// The runner and the selection without a live rig: a rig stand-in built from a rig description whose boards
// lack meters, network control and fog boards — the tests needing them are NOT_APPLICABLE, by name, with the
// reason, never passed; --select picks tests by their labels and boards by theirs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PowerSwitch } from "./relay.js";
import { toMarkdown } from "./report.js";
import { parseRig } from "./rig-manifest.js";
import type { RigUnderTest } from "./rig-under-test.js";
import { runSuite } from "./runner.js";
import { parseSelectors, selectBoards, selectTests } from "./selection.js";
import { SUITE } from "./suite/all-tests.js";
import { TelemetryLog } from "./telemetry-log.js";

const SIM = join(import.meta.dirname, "../rigs/sim.yaml");

/** A rig stand-in with relays only (no meters, no network control, no fog boards). */
function relaysOnlyRig(): RigUnderTest {
  const manifest = parseRig(readFileSync(SIM, "utf8"), SIM);
  const devices = manifest.spec.boards.filter((b) => b.role === "device");
  const relay = (board: string): PowerSwitch => ({
    board,
    on: true,
    set: async () => {},
    safeAction: () => ({ kind: "kill", pgid: -1 }),
    close: async () => {},
  });
  return {
    manifest,
    region: "eu-hil",
    devices: devices.slice(0, 2),
    fogBoards: [],
    telemetry: Object.create(TelemetryLog.prototype) as TelemetryLog,
    power: (b) => relay(b),
    meter: () => undefined,
    network: () => undefined,
    regionState: async () => undefined,
    fogBoardOf: () => undefined,
    answers: async () => false,
    replicaPort: () => 0,
    command: async () => {
      throw new Error("not wired");
    },
    stop: async () => {},
  };
}

describe("suite runner with a rig stand-in", () => {
  it("reports tests whose hardware the rig lacks as NOT_APPLICABLE, by name, with the reason", async () => {
    const rig = relaysOnlyRig();
    const lacking = SUITE.filter((t) =>
      ["power-agreement", "network-cut", "replica-failover", "leader-loss"].includes(t.name),
    );
    const report = await runSuite(rig, lacking, { selectors: [], say: () => {}, startedMs: Date.now() });
    expect(report.tests.map((t) => [t.test, t.outcome])).toEqual([
      ["power-agreement", "NOT_APPLICABLE"],
      ["network-cut", "NOT_APPLICABLE"],
      ["replica-failover", "NOT_APPLICABLE"],
      ["leader-loss", "NOT_APPLICABLE"],
    ]);
    expect(report.tests[0]!.detail).toMatch(/no selected board has a rig meter/);
    expect(report.tests[3]!.detail).toMatch(/needs three fog boards/);
    expect(report.counts).toMatchObject({ PASS: 0, NOT_APPLICABLE: 4 });
    expect(toMarkdown(report)).toContain("| **leader-loss** | NOT_APPLICABLE | | | | needs three fog boards");
  });

  it("selects tests by label (area, test) and device boards by theirs", () => {
    expect(selectTests(SUITE, parseSelectors(["area=power"])).map((t) => t.name)).toEqual([
      "power-cycle",
      "brownout",
    ]);
    expect(selectTests(SUITE, parseSelectors(["test=leader-loss"])).map((t) => t.name)).toEqual([
      "leader-loss",
    ]);
    const boards = parseRig(readFileSync(SIM, "utf8"), SIM).spec.boards;
    const picked = selectBoards(boards, parseSelectors(["site=bench-b"]));
    expect(picked.filter((b) => b.role === "device").map((b) => b.name)).toEqual(["pi5-b"]);
    expect(picked.filter((b) => b.role === "fog")).toHaveLength(3);
    expect(
      selectBoards(boards, parseSelectors(["type=raspberry-pi-4"]))
        .filter((b) => b.role === "device")
        .map((b) => b.name),
    ).toEqual(["pi4-c"]);
    expect(() => parseSelectors(["area"])).toThrow(/--select area: write label=value/);
  });
});
