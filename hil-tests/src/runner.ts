// Runs the suite against a rig: every selected test in order; a test whose hardware the rig lacks is reported
// NOT_APPLICABLE with the reason, a test that throws is an ERROR, and the rig is stopped (every relay to its
// safe state) whatever happens.
import type { HilTest, TestResult } from "./hil-test.js";
import { type SuiteReport, summarise } from "./report.js";
import type { RigUnderTest } from "./rig-under-test.js";

export async function runSuite(
  rig: RigUnderTest,
  tests: HilTest[],
  o: { selectors: string[]; say: (line: string) => void; startedMs: number },
): Promise<SuiteReport> {
  const results: TestResult[] = [];
  for (const t of tests) {
    const t0 = Date.now();
    const missing = t.needs(rig);
    if (missing) {
      results.push({
        test: t.name,
        labels: t.labels,
        outcome: "NOT_APPLICABLE",
        measurements: [],
        detail: missing,
        durationS: 0,
      });
      o.say(`- ${t.name}: not applicable (${missing})`);
      continue;
    }
    o.say(`▶ ${t.name}: ${t.summary}`);
    try {
      const measurements = await t.run(rig, (line) => o.say(`  ${line}`));
      const outcome = measurements.every((m) => m.outcome === "PASS") ? "PASS" : "FAIL";
      results.push({
        test: t.name,
        labels: t.labels,
        outcome,
        measurements,
        durationS: (Date.now() - t0) / 1000,
      });
      for (const m of measurements)
        o.say(`  ${m.outcome === "PASS" ? "✓" : "✗"} ${m.name} = ${m.value} ${m.unit}`);
    } catch (err) {
      results.push({
        test: t.name,
        labels: t.labels,
        outcome: "ERROR",
        measurements: [],
        detail: (err as Error).message.split("\n")[0],
        durationS: (Date.now() - t0) / 1000,
      });
      o.say(`  ✗ ${t.name}: ${(err as Error).message}`);
    }
  }
  return summarise({
    rig: rig.manifest.metadata.name,
    simulated: rig.manifest.spec.simulated,
    startedAt: new Date(o.startedMs).toISOString(),
    durationS: (Date.now() - o.startedMs) / 1000,
    boards: rig.devices.map((b) => b.name),
    selectors: o.selectors,
    tests: results,
  });
}
