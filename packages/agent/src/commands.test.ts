import { telemetryV1 } from "@qonnect/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CommandHandler } from "./commands.js";
import type { Runtime } from "./runtime/runtime.js";
import type { AgentState } from "./state-store.js";

/** A runtime stand-in that records what it was asked to run (the process runtime is tested with real children). */
function recordingRuntime(): Runtime & { applied: telemetryV1.WorkloadSpec[][] } {
  const applied: telemetryV1.WorkloadSpec[][] = [];
  return {
    kind: "process",
    applied,
    async apply(desired) {
      applied.push(desired);
    },
    async status() {
      return (applied.at(-1) ?? []).map((w) => ({
        app: w.app,
        service: w.service,
        replica: w.replica,
        state: telemetryV1.WorkloadState.WORKLOAD_STATE_RUNNING,
        cpuCores: 0,
        memoryBytes: 0,
        restarts: 0,
        message: "",
        powerW: 0,
      }));
    },
    async close() {},
  };
}

function setup() {
  let state: AgentState = { token: { term: 3, planVersion: 7 }, desired: [], seqReserved: 0 };
  const persisted: AgentState[] = [];
  const runtime = recordingRuntime();
  const handler = new CommandHandler({
    device: "pi-1",
    runtime,
    state: () => state,
    persist: (s) => {
      persisted.push(s);
      state = s;
    },
  });
  const send = async (cmd: Partial<telemetryV1.DeviceCommand>) =>
    telemetryV1.CommandAck.decode(
      await handler.handle(
        telemetryV1.DeviceCommand.encode(
          telemetryV1.DeviceCommand.fromPartial({ device: "pi-1", ...cmd }),
        ).finish(),
      ),
    );
  return { handler, runtime, persisted, send, state: () => state };
}

const wl = (service: string, extra: Partial<telemetryV1.WorkloadSpec> = {}) =>
  telemetryV1.WorkloadSpec.fromPartial({
    app: "shop",
    service,
    replica: 1,
    command: ["sleep", "60"],
    ...extra,
  });

describe("DeviceCommand checks", () => {
  it("a bad workload (NUL, oversized, bad env key) is refused alone; the others are persisted and run", async () => {
    const t = setup();
    const ack = await t.send({
      token: { term: 3, planVersion: 8 },
      workloads: [
        wl("good"),
        wl("nul-arg", { command: ["sh", "-c", "echo\0boom"] }),
        wl("nul-env", { env: { A: "x\0y" } }),
        wl("bad-key", { env: { "A=B": "1" } }),
        wl("huge", { env: { BIG: "x".repeat(40_000) } }),
        wl("Bad Name"),
      ],
    });
    expect(ack.accepted).toBe(true);
    expect(t.runtime.applied).toEqual([[wl("good")]]);
    expect(t.state().desired).toEqual([wl("good")]);
    const refused = ack.workloads.filter((w) => w.state === telemetryV1.WorkloadState.WORKLOAD_STATE_FAILED);
    expect(refused.map((w) => w.service)).toEqual(["nul-arg", "nul-env", "bad-key", "huge", "Bad Name"]);
    expect(ack.error).toMatch(/refused workloads: .*NUL/);
  });

  it("a token jump beyond sane bounds is refused and never persisted", async () => {
    const t = setup();
    for (const token of [
      { term: 2 ** 53 - 1, planVersion: 1 },
      { term: 3 + 10_001, planVersion: 0 },
      { term: 3, planVersion: 7 + 1_000_001 },
    ]) {
      const ack = await t.send({ token, workloads: [wl("good")] });
      expect(ack.accepted).toBe(false);
      expect(ack.error).toMatch(/implausible fencing token/);
      expect(ack.token).toEqual({ term: 3, planVersion: 7 });
    }
    expect(t.persisted).toEqual([]);
    expect(t.runtime.applied).toEqual([]);
    // the real leader, a few elections later, is still obeyed
    expect((await t.send({ token: { term: 9, planVersion: 1 }, workloads: [] })).accepted).toBe(true);
  });

  it("fuzz: arbitrary bytes on the command subject never throw and never persist an implausible token", async () => {
    const t = setup();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const ack = telemetryV1.CommandAck.decode(await t.handler.handle(bytes));
        expect(ack.device).toBe("pi-1");
        expect(t.state().token.term).toBeLessThanOrEqual(3 + 10_000);
      }),
      { numRuns: Number(process.env.QONNECT_FUZZ_RUNS ?? 500) },
    );
  });

  it("fuzz: structured commands with hostile fields never throw; what is persisted always passes the checks", async () => {
    const t = setup();
    const str = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("\0", "a\0b", "x".repeat(5000)));
    const spec = fc.record({
      app: fc.oneof(fc.constant("shop"), str),
      service: fc.oneof(fc.constantFrom("a", "b"), str),
      replica: fc.nat({ max: 3 }),
      command: fc.array(str, { maxLength: 3 }),
      env: fc.dictionary(str, str, { maxKeys: 3 }),
      ports: fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { maxLength: 5 }), fc.nat({ max: 20_000 }), async (workloads, term) => {
        const ack = await t.send({
          token: { term, planVersion: 1 },
          workloads: workloads.map((w) => telemetryV1.WorkloadSpec.fromPartial(w)),
        });
        expect(typeof ack.accepted).toBe("boolean");
        for (const w of t.state().desired) {
          expect(w.command.join("")).not.toContain("\0");
          expect(Object.values(w.env).join("")).not.toContain("\0");
        }
      }),
      { numRuns: Number(process.env.QONNECT_FUZZ_RUNS ?? 200) },
    );
  });
});
