// The simulated rig (hil-tests/rigs/sim.yaml) under the whole suite, as `pnpm hil` runs it: a real, secure
// NATS deployment (operator JWTs, TLS, a bundle per board), Knowledge Base and three fog leads, three boards
// as network namespaces running the bundled agent in PID namespaces, INA219 emulators fed from one electrical
// model, nft cuts. Every test must pass with its measurements inside their limits, and the report must hold
// every test with its measurements. The limits are the rig file's own (an 8 s cut inside a 20 s grace
// instead of 30 s, to keep `make test` short).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { useTempDirs } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { runHil } from "./hil.js";
import { type SuiteReport, toMarkdown } from "./report.js";
import { SUITE } from "./suite/all-tests.js";

const SIM = join(import.meta.dirname, "../rigs/sim.yaml");

describe("HIL suite on the simulated rig (network namespaces, real agents, INA219 emulators)", () => {
  const temp = useTempDirs();

  it("passes every test of the suite and writes the report (Markdown and JSON)", async () => {
    const outDir = temp();
    const lines: string[] = [];
    const { report, files } = await runHil({ rigFile: SIM, select: [], outDir, say: (l) => lines.push(l) });
    // the measured detection and recovery times, in the test log
    console.log(toMarkdown(report));
    const failed = report.tests.filter((t) => t.outcome !== "PASS");
    expect(failed, `${JSON.stringify(failed, null, 2)}\n${lines.join("\n")}`).toEqual([]);
    expect(report.tests.map((t) => t.test)).toEqual(SUITE.map((t) => t.name));
    expect(files.every(existsSync)).toBe(true);
    const json = JSON.parse(readFileSync(join(outDir, "report.json"), "utf8")) as SuiteReport;
    expect(json.outcome).toBe("PASS");
    const md = readFileSync(join(outDir, "report.md"), "utf8");
    for (const t of report.tests) {
      expect(md).toContain(`| **${t.test}** | PASS |`);
      for (const m of t.measurements) expect(md).toContain(`| ${m.name} |`);
    }
    // the measured detection and recovery times are in the report
    const names = report.tests.flatMap((t) => t.measurements.map((m) => `${t.test}.${m.name}`));
    expect(names).toEqual(
      expect.arrayContaining([
        "power-cycle.on_to_first_telemetry",
        "network-cut.missing_sequence_numbers",
        "brownout.token_kept",
        "replica-failover.cut_to_verdict",
        "replica-failover.cut_to_answering",
        "leader-loss.cut_to_new_leader",
        "leader-loss.longest_double_run",
      ]),
    );
    // secure by default: the killed board's kernel closed its connection, the leafnode's disconnect event
    // reached the fog leader through the system account's export, and the lone board was judged a crash
    // (moved at once), while the network cut's board (no close crossed the cut) was unreachable, not dead
    const m = (test: string, name: string) =>
      report.tests.find((t) => t.test === test)?.measurements.find((x) => x.name === name);
    expect(m("replica-failover", "cut_to_verdict")?.note).toMatch(
      /^dead: .*its host closed its connection \(Client Closed\)/,
    );
    expect(m("network-cut", "dead_verdicts_during_cut")?.value).toBe(0);
  }, 1_200_000);
});
