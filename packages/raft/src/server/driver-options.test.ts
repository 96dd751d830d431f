import { describe, expect, it } from "vitest";
import { RaftConfigError } from "../errors.js";
import { MemoryStorage } from "../memory-storage.js";
import type { Transport } from "../transport/transport.js";
import { DRIVER_DEFAULTS, type RaftDriverOptions, resolveDriverOptions } from "./driver-options.js";

const base: RaftDriverOptions<null> = {
  id: 1,
  storage: new MemoryStorage(),
  transport: {} as Transport,
  stateMachine: {
    apply: () => ({ proposalId: undefined, result: null }),
    proposalId: () => undefined,
    snapshot: () => new Uint8Array(),
    restore: () => {},
  },
  tickMs: 10,
  electionTicks: 10,
  heartbeatTicks: 1,
};

describe("resolveDriverOptions", () => {
  it("fills in every default once and keeps what was given", () => {
    const r = resolveDriverOptions({ ...base, readTimeoutMs: 700 });
    expect(r).toMatchObject({ ...DRIVER_DEFAULTS, readTimeoutMs: 700, tickMs: 10, log: undefined });
  });

  it.each([
    [{ tickMs: 0 }, /tickMs must be > 0/],
    [{ proposalTimeoutMs: Number.NaN }, /proposalTimeoutMs must be > 0/],
    [{ snapshotEntries: 0 }, /snapshotEntries must be an integer ≥ 1/],
    [{ maxPendingProposals: 2.5 }, /maxPendingProposals must be an integer ≥ 1/],
    [{ electionTicks: 1, heartbeatTicks: 1 }, /electionTicks \(1\) must exceed heartbeatTicks \(1\)/],
  ])("refuses %o", (bad, message) => {
    expect(() => resolveDriverOptions({ ...base, ...bad })).toThrow(RaftConfigError);
    expect(() => resolveDriverOptions({ ...base, ...bad })).toThrow(message);
  });
});
