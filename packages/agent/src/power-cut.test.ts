// Power cuts under the agent's spool and state (testkit's LazyFS-style harness drops unsynced writes): every
// record appended before an fsync survives in order, state.json is the old or the new one, and both reopen.
import { join } from "node:path";
import { powerCutHarness, tempDir } from "@qonnect/testkit";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Spool } from "./spool.js";
import { StateStore } from "./state-store.js";

describe("spool and state under power cuts", () => {
  const harness = powerCutHarness();
  afterAll(() => harness.restore());

  it("synced spool records and the last saved state survive any cut", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ size: fc.integer({ min: 1, max: 3000 }), fsync: fc.boolean(), save: fc.boolean() }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (steps, seed) => {
          const d = tempDir("qonnect-agent-powercut-");
          try {
            const live = join(d.path, "live");
            // fsyncMs: huge, so only the explicit fsync() calls make records durable
            const spool = new Spool(join(live, "spool"), { maxBytes: 64 << 20, fsyncMs: 1e12 });
            const store = new StateStore(join(live, "state"));
            let appended = 0;
            let acked = 0;
            const saved: number[] = [];
            for (const [i, s] of steps.entries()) {
              spool.append(new Uint8Array(s.size).fill(appended % 251), 0);
              appended++;
              if (s.fsync) {
                spool.fsync();
                acked = appended;
              }
              if (s.save) {
                store.save({ token: { term: i + 1, planVersion: 0 }, desired: [], seqReserved: 0 });
                saved.push(i + 1);
              }
            }
            let x = seed;
            const random = () => {
              x = (x * 1103515245 + 12345) % 2 ** 31;
              return x / 2 ** 31;
            };
            const cut = join(d.path, "cut");
            harness.cut(live, cut, random);
            const again = new Spool(join(cut, "spool"), { maxBytes: 64 << 20 });
            const got = again.peek(1000);
            expect(got.length).toBeGreaterThanOrEqual(acked);
            for (const [i, r] of got.entries()) expect(r.payload.every((b) => b === i % 251)).toBe(true);
            again.close();
            const state = new StateStore(join(cut, "state")).load();
            expect(state.token.term).toBe(saved.at(-1) ?? 0);
            spool.close();
          } finally {
            d.remove();
          }
        },
      ),
      { numRuns: Number(process.env.QONNECT_FUZZ_RUNS ?? 60) },
    );
  });
});
