import { describe, expect, it } from "vitest";
import { inventoryOf, jobOf } from "./fixture.js";
import { forecastFromSeries, planJob } from "./job.js";

const start = Date.parse("2026-01-01T00:00:00Z");
const hour = 3_600_000;
const inventory = inventoryOf({
  zones: [
    { name: "DE", intensityGPerKWh: 400 },
    { name: "FR", intensityGPerKWh: 60 },
  ],
  sites: [
    { name: "de", tier: "cloud", region: "r", zone: "DE" },
    { name: "fr", tier: "cloud", region: "r", zone: "FR" },
  ],
  devices: [
    { name: "vm-de", site: "de", arch: "amd64", cpu: 8, memory: "32Gi", power: { idleW: 6, maxW: 30 } },
    {
      name: "vm-fr",
      site: "fr",
      arch: "amd64",
      cpu: 8,
      memory: "32Gi",
      power: { idleW: 6, maxW: 40 },
      alive: false,
    },
  ],
});
const job = jobOf({
  qos: { carbon: 1 },
  durationMinutes: 60,
  deadline: "2026-01-01T06:00:00Z",
  earliestStart: "2026-01-01T00:00:00Z",
  services: [{ name: "train", resources: { cpu: "4", memory: "4Gi" } }],
});

describe("job time shifting", () => {
  it("starts in the cleanest window before the deadline and reports the saving against now", () => {
    // DE: 400 until 03:00, 100 from 03:00 to 04:00, 500 after
    const forecast = forecastFromSeries({
      DE: { startMs: start, stepMs: hour, intensityGPerKWh: [400, 400, 400, 100, 500, 500] },
    });
    const p = planJob(inventory, job, forecast, { stepMinutes: 30 });
    expect(p.startMs).toBe(start + 3 * hour);
    expect(p.plan.placements[0]!.device).toBe("vm-de");
    expect(p.nowCarbonG).toBeCloseTo((12 * 400) / 1000); // 12 W for 1 h at 400 g/kWh
    expect(p.carbonG).toBeCloseTo((12 * 100) / 1000);
    expect(p.savingPercent).toBeCloseTo(75);
    expect(p.candidates.at(-1)!.startMs).toBe(start + 5 * hour);
  });

  it("a flat forecast keeps the job at now", () => {
    const p = planJob(inventory, job, forecastFromSeries({}, { DE: 300 }));
    expect(p.startMs).toBe(start);
    expect(p.savingG).toBe(0);
  });
});
