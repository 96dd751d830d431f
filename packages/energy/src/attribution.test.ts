import { describe, expect, it } from "vitest";
import { attributePower } from "./attribution.js";

describe("attributePower", () => {
  it("splits active power by CPU-time share: 12 W total, 4 W idle, 3:1 CPU → 6 W and 2 W", () => {
    const out = attributePower({
      totalPowerW: 12,
      idlePowerW: 4,
      workloads: [
        { name: "a", cpuS: 3 },
        { name: "b", cpuS: 1 },
      ],
    });
    expect(out.map((o) => o.activePowerW)).toEqual([6, 2]);
    expect(out.map((o) => o.idlePowerW)).toEqual([0, 0]);
    expect(out[0]!.cpuShare).toBe(0.75);
  });
  it("splits idle power evenly or by CPU when asked", () => {
    const workloads = [
      { name: "a", cpuS: 3 },
      { name: "b", cpuS: 1 },
    ];
    expect(
      attributePower({ totalPowerW: 12, idlePowerW: 4, workloads, idle: "even" }).map((o) => o.idlePowerW),
    ).toEqual([2, 2]);
    expect(
      attributePower({ totalPowerW: 12, idlePowerW: 4, workloads, idle: "cpu" }).map((o) => o.idlePowerW),
    ).toEqual([3, 1]);
  });
  it("attributes nothing when the device is below idle or nobody used CPU", () => {
    expect(
      attributePower({ totalPowerW: 3, idlePowerW: 4, workloads: [{ name: "a", cpuS: 1 }] })[0]!.activePowerW,
    ).toBe(0);
    expect(
      attributePower({ totalPowerW: 10, idlePowerW: 4, workloads: [{ name: "a", cpuS: 0 }] })[0]!
        .activePowerW,
    ).toBe(0);
    expect(attributePower({ totalPowerW: 10, idlePowerW: 4, workloads: [] })).toEqual([]);
  });
});
