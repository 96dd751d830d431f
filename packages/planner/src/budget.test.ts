import { describe, expect, it } from "vitest";
import { type BudgetClock, CpuBudget } from "./budget.js";

/** A clock the test drives: wall and CPU ms advance only when told. */
function fakeClock() {
  const t = { wall: 1000, cpu: 500 };
  const clock: BudgetClock = { wallMs: () => t.wall, cpuMs: () => t.cpu };
  return { t, clock };
}

describe("auto's CPU-time budget", () => {
  it("gives the whole budget as wall time on an idle machine", () => {
    const { t, clock } = fakeClock();
    const b = new CpuBudget(3000, 30_000, clock);
    t.wall += 100;
    t.cpu += 100;
    expect(b.share()).toBe(1);
    expect(b.left()).toEqual({ cpuMs: 2900, wallLimitS: 2.9 });
  });

  it("stretches the wall limit by the share of a core the process gets on a loaded machine", () => {
    const { t, clock } = fakeClock();
    const b = new CpuBudget(3000, 30_000, clock);
    t.wall += 200;
    t.cpu += 50; // a quarter of a core
    expect(b.share()).toBeCloseTo(0.25, 12);
    const left = b.left();
    expect(left.cpuMs).toBe(2950);
    expect(left.wallLimitS).toBeCloseTo(11.8, 9);
  });

  it("never exceeds the wall cap, and has nothing left once the CPU budget is spent", () => {
    const { t, clock } = fakeClock();
    const b = new CpuBudget(3000, 5000, clock);
    t.wall += 1000;
    t.cpu += 20; // 2 % of a core: 2,980 CPU ms would take 149 s
    expect(b.left().wallLimitS).toBeCloseTo(4, 9);
    t.cpu += 3000;
    expect(b.left()).toEqual({ cpuMs: -20, wallLimitS: 0 });
  });

  it("assumes a whole core until the sample is long enough to mean something", () => {
    const { t, clock } = fakeClock();
    const b = new CpuBudget(3000, 30_000, clock);
    t.wall += 5;
    expect(b.share()).toBe(1);
  });
});
