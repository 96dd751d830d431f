import * as prom from "prom-client";
import { describe, expect, it } from "vitest";
import * as ours from "./metrics-text.js";

/** prom-client, seen through this module's (narrower) types */
const promLib = prom as unknown as typeof ours;

/** The agent's kinds of use (metrics.ts, agent.ts), done with either library. */
async function exercise(lib: typeof ours): Promise<{ text: string; contentType: string }> {
  const registry = new lib.Registry();
  const registers = [registry];
  const samples = new lib.Counter({ name: "x_samples_total", help: "samples\\taken\nnow", registers });
  const published = new lib.Counter({
    name: "x_published_total",
    help: "h",
    labelNames: ["late"],
    registers,
  });
  const idle = new lib.Counter({
    name: "x_idle_total",
    help: "never used",
    labelNames: ["result"],
    registers,
  });
  const depth = new lib.Gauge({ name: "x_depth", help: "depth", registers });
  const workloads = new lib.Gauge({
    name: "x_workloads",
    help: "by state",
    labelNames: ["state"],
    registers,
  });
  const rss = new lib.Gauge({
    name: "x_rss",
    help: "collected",
    registers,
    collect() {
      this.set(1234.5);
    },
  });
  samples.inc();
  samples.inc();
  published.inc({ late: "true" }, 0);
  published.inc({ late: "false" }, 3);
  published.inc({ late: "false" });
  depth.set(7);
  depth.set(0.25);
  workloads.inc({ state: "running" });
  workloads.reset();
  workloads.inc({ state: 'run"ning\\' });
  workloads.inc({ state: "failed" });
  workloads.inc({ state: "failed" });
  void idle;
  void rss;
  return { text: await registry.metrics(), contentType: registry.contentType };
}

describe("metrics-text", () => {
  it("writes what prom-client writes", async () => {
    const expected = await exercise(promLib);
    expect(await exercise(ours)).toEqual(expected);
    expect(expected.text).toContain('x_published_total{late="false"} 4');
  });

  it("refuses to decrease a counter and to register a name twice", () => {
    const registry = new ours.Registry();
    const c = new ours.Counter({ name: "c", help: "h", registers: [registry] });
    expect(() => c.inc(-1)).toThrow(/decrease/);
    expect(() => new ours.Gauge({ name: "c", help: "h", registers: [registry] })).toThrow(/already/);
  });
});
