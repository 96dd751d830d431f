import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { moveReason } from "../plan/render.js";
import { run } from "../run.js";

const root = resolve(import.meta.dirname, "../../../..");
const bookinfo = ["-f", "examples/bookinfo.yaml", "--inventory", "examples/inventory-9-sites.yaml"];

async function cli(...argv: string[]) {
  const io = bufferIo(root);
  const code = await run(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("qonnect plan", () => {
  it("plans Bookinfo onto the nine sites as a table", async () => {
    const { code, out } = await cli("plan", ...bookinfo);
    expect(code).toBe(0);
    // auto: exact and proven optimal when HiGHS finishes within its budget, else the heuristic and its bound
    expect(out).toMatch(
      /bookinfo \((exact, proven optimal|heuristic, within [\d.]+ % of optimal)\): feasible, 8 replicas/,
    );
    expect(out).toMatch(/totals: energy [\d.]+ W · carbon [\d.]+ g\/h · cost [\d.]+ EUR\/h/);
  });

  it("prints one JSON object with --json, and a re-plan from it moves nothing", async () => {
    const { code, out } = await cli("plan", ...bookinfo, "--json", "--explain");
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.feasible).toBe(true);
    expect(result.placements).toHaveLength(8);
    expect(Object.keys(result.placements[0])).toEqual(["app", "service", "replica", "device"]);
    expect(Object.keys(result.totals)).toEqual(
      expect.arrayContaining(["energyW", "carbonGPerH", "costPerHour"]),
    );
    expect(result.moves).toEqual([]);
    expect(result.explain.replicas).toHaveLength(8);
    const dir = mkdtempSync(join(tmpdir(), "qonnect-plan-"));
    writeFileSync(join(dir, "current.json"), out);
    const again = JSON.parse(
      (await cli("plan", ...bookinfo, "--json", "--current", join(dir, "current.json"))).out,
    );
    expect(again.moves).toEqual([]);
    expect(again.placements).toEqual(result.placements);
  });

  it("the exact strategy agrees; the borda baseline reports its violations and exits 1", async () => {
    const heuristic = JSON.parse((await cli("plan", ...bookinfo, "--json")).out);
    const exact = await cli("plan", ...bookinfo, "--json", "--strategy", "exact");
    expect(exact.code).toBe(0);
    expect(JSON.parse(exact.out).totals.objective).toBeCloseTo(heuristic.totals.objective, 6);
    const borda = await cli("plan", ...bookinfo, "--json", "--strategy", "borda");
    expect(borda.code).toBe(1);
    expect(JSON.parse(borda.out).violations.length).toBeGreaterThan(0);
    // for people: the table on stdout, the violations and a true sentence on stderr
    const table = await cli("plan", ...bookinfo, "--strategy", "borda");
    expect(table.code).toBe(1);
    expect(table.out).not.toMatch(/violation/);
    expect(table.err).toMatch(/^bookinfo: violation: /m);
    expect(table.err).toMatch(
      /the borda baseline ranks devices without checking hard constraints, so its plan breaks/,
    );
    expect(table.err).not.toMatch(/no plan satisfies/);
  });

  it("checks --current and --forecast files and names the wrong field (exit 2)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qonnect-plan-"));
    writeFileSync(
      join(dir, "current.json"),
      JSON.stringify([{ app: "bookinfo", service: "x", replica: "0" }]),
    );
    const current = await cli("plan", ...bookinfo, "--current", join(dir, "current.json"));
    expect(current.code).toBe(2);
    expect(current.err).toContain(`${join(dir, "current.json")}: 0.replica:`);
    expect(current.err).toMatch(/e\.g\. the output of plan --json/);
    writeFileSync(
      join(dir, "forecast.json"),
      JSON.stringify({ zones: { DE: { start: "soon", stepMinutes: 0 } } }),
    );
    const forecast = await cli(
      "plan",
      "-f",
      "examples/carbon-job.yaml",
      "--inventory",
      "examples/inventory-9-sites.yaml",
      "--forecast",
      join(dir, "forecast.json"),
    );
    expect(forecast.code).toBe(2);
    expect(forecast.err).toContain(`${join(dir, "forecast.json")}: zones.DE.start:`);
    expect(forecast.out).toBe("");
  });

  it("says a move's reason in words", () => {
    expect(moveReason("alive")).toBe("its device is down");
    expect(moveReason("cpu")).toBe("not enough CPU on its device");
    expect(moveReason("removed")).toBe("removed");
  });

  it("--export-mps writes the exact model, and CBC finds the optimum --strategy exact reports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qonnect-plan-"));
    const file = join(dir, "bookinfo.mps");
    const exact = await cli("plan", ...bookinfo, "--json", "--strategy", "exact", "--export-mps", file);
    expect(exact.code).toBe(0);
    const result = JSON.parse(exact.out);
    expect(result.chosen).toEqual([{ app: "bookinfo", strategy: "exact", optimal: true }]);
    expect(result.totals.gapToBound).toBe(0);
    const cbc = spawnSync("cbc", [file, "-solve", "-quit"], { encoding: "utf8" });
    if (cbc.error) throw new Error(`cbc did not run (apt-get install coinor-cbc): ${cbc.error.message}`);
    expect(cbc.stdout).toContain("Result - Optimal solution found");
    expect(Number(/Objective value:\s+(\S+)/.exec(cbc.stdout)![1])).toBeCloseTo(result.totals.objective, 6);
  });

  it("exits 1 naming the binding constraint when nothing fits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qonnect-plan-"));
    const file = join(dir, "big.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: qonnect.io/v1alpha1",
        "kind: Application",
        "metadata: { name: big }",
        "spec:",
        "  services:",
        "    - name: reviews",
        "      resources: { cpu: '16', memory: 1Gi }",
        "      placement: { arch: [amd64], regions: [eu-central] }",
        "",
      ].join("\n"),
    );
    const { code, err } = await cli("plan", "-f", file, "--inventory", "examples/inventory-9-sites.yaml");
    expect(code).toBe(1);
    expect(err).toContain(
      "reviews: no device with amd64 and 16 free cores and 1Gi free memory in eu-central",
    );
    expect(err).toContain("closest: nuc-berlin-1 has 12 free cores");
  });

  it("time-shifts a Job over a carbon forecast and reports the saving against starting now", async () => {
    const job = ["-f", "examples/carbon-job.yaml", "--inventory", "examples/inventory-9-sites.yaml"];
    const forecast = ["--forecast", "examples/carbon-forecast-2022-06-15.json"];
    const { code, out } = await cli("plan", ...job, ...forecast, "--json");
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.feasible).toBe(true);
    const [shift] = result.jobs;
    expect(Date.parse(shift.start)).toBeGreaterThanOrEqual(Date.parse("2022-06-15T18:00:00Z"));
    expect(Date.parse(shift.start)).toBeLessThanOrEqual(Date.parse("2022-06-16T04:30:00Z"));
    expect(shift.savingG).toBeGreaterThanOrEqual(0);
    expect(shift.carbonG).toBeCloseTo(shift.nowCarbonG - shift.savingG, 9);
    const table = await cli("plan", ...job, ...forecast);
    expect(table.out).toMatch(/start 2022-06-1\dT[\d:.]+Z: [\d.]+ g CO2e for the run/);
  });

  it("rejects an unknown strategy and a missing file as usage errors", async () => {
    expect((await cli("plan", ...bookinfo, "--strategy", "random")).code).toBe(2);
    expect(
      (await cli("plan", "-f", "nope.yaml", "--inventory", "examples/inventory-9-sites.yaml")).code,
    ).toBe(2);
  });
});

describe("qonnect demo", () => {
  it("plans Bookinfo after validating the examples", async () => {
    const { code, out } = await cli("demo", "--no-live");
    expect(code).toBe(0);
    expect(out).toContain("step 2/3: plan Bookinfo");
    // auto: exact and proven optimal when HiGHS finishes within its budget, else the heuristic and its bound
    expect(out).toMatch(
      /bookinfo \((exact, proven optimal|heuristic, within [\d.]+ % of optimal)\): feasible, 8 replicas/,
    );
  });
});
