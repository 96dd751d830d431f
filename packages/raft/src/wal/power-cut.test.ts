// Power cuts at random points of a WAL's life (testkit's LazyFS-style harness drops unsynced writes): every
// acknowledged (synced) entry and hard state survives, and the member reopens unattended every time.
import { join } from "node:path";
import { powerCutHarness, tempDir } from "@qonnect/testkit";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { WalStorage } from "./wal-storage.js";

describe("WAL under power cuts (unsynced writes dropped or torn)", () => {
  const harness = powerCutHarness();
  afterAll(() => harness.restore());

  it("every synced entry survives and the log reopens, at any cut point", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            n: fc.integer({ min: 1, max: 4 }),
            size: fc.integer({ min: 0, max: 3000 }),
            sync: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (steps, seed) => {
          const d = tempDir("qonnect-powercut-");
          try {
            const dir = join(d.path, "live");
            // small segments so cuts cross segment boundaries
            const w = WalStorage.open(dir, { segmentSizeBytes: 8 * 1024 });
            let last = 0;
            let acked = 0;
            let ackedCommit = 0;
            for (const s of steps) {
              const ents = Array.from({ length: s.n }, (_, i) => ({
                index: last + i + 1,
                term: 1,
                type: "normal" as const,
                data: new Uint8Array(s.size).fill((last + i + 1) % 251),
              }));
              w.append(ents);
              last += s.n;
              w.setHardState({ term: 1, vote: 1, commit: last - 1 });
              if (s.sync) {
                w.sync();
                acked = last;
                ackedCommit = last - 1;
              }
            }
            let x = seed;
            const random = () => {
              x = (x * 1103515245 + 12345) % 2 ** 31;
              return x / 2 ** 31;
            };
            const cut = join(d.path, "after-cut");
            harness.cut(dir, cut, random);
            w.close();
            const r = WalStorage.open(cut);
            try {
              expect(r.lastIndex()).toBeGreaterThanOrEqual(acked);
              expect(r.initialState().hardState.commit).toBeGreaterThanOrEqual(ackedCommit);
              if (acked > 0)
                for (const e of r.entries(1, acked + 1, Number.MAX_SAFE_INTEGER))
                  expect(e.data.every((b) => b === e.index % 251)).toBe(true);
            } finally {
              r.close();
            }
          } finally {
            d.remove();
          }
        },
      ),
      { numRuns: Number(process.env.QONNECT_FUZZ_RUNS ?? 60) },
    );
  });
});
