import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  G_PER_KWH_PER_LBS_PER_MWH,
  loadElectricityMapsCsv,
  loadTraceCsv,
  loadUkCarbonIntensityJson,
  loadVessimCsv,
  loadWattTimeJson,
} from "./loaders.js";
import { SignalError } from "./signal.js";

const data = (p: string) => readFileSync(new URL(`../../data/${p}`, import.meta.url), "utf8");
const ts = (iso: string) => Date.parse(iso);

describe("Electricity Maps CSV", () => {
  it("reads the shipped DE 2022 year, LCA by default, direct on request", () => {
    const text = data("electricitymaps/DE_2022_hourly.csv");
    const lca = loadElectricityMapsCsv(text);
    expect(lca.basis).toBe("average");
    expect(lca.zone).toBe("DE");
    expect(lca.signal.values.length).toBe(8760);
    expect(lca.signal.at(ts("2022-01-01T00:00:00Z"))).toBe(212.91);
    expect(lca.signal.at(ts("2022-01-01T01:59:59Z"))).toBe(217.14);
    expect(loadElectricityMapsCsv(text, { lifecycle: false }).signal.at(ts("2022-01-01T00:30:00Z"))).toBe(
      162.59,
    );
  });
  it("reads the GB June slice and anchors it elsewhere", () => {
    const gb = loadElectricityMapsCsv(data("electricitymaps/GB_2022-06_hourly.csv"), { anchorMs: 0 });
    expect(gb.signal.startMs).toBe(0);
    expect(gb.signal.values.length).toBe(720);
  });
  it("names a missing column", () => {
    expect(() =>
      loadElectricityMapsCsv("Datetime (UTC),x\n2022-01-01 00:00:00,1\n", { source: "em.csv" }),
    ).toThrow(/em\.csv: no "Carbon Intensity/);
  });
});

describe("WattTime JSON", () => {
  it("converts lbs/MWh to g/kWh and marks MOER as marginal", () => {
    const wt = loadWattTimeJson(data("watttime/caiso_north_2023-06-08_moer.json"));
    expect(wt.basis).toBe("marginal");
    expect(wt.zone).toBe("CAISO_NORTH");
    expect(wt.signal.values.length).toBe(288);
    // first row of the original CSV: 425.01605069 lbs/MWh
    expect(wt.signal.at(ts("2023-06-08T00:00:00Z"))).toBeCloseTo(425.01605069 * 0.45359237, 9);
    expect(G_PER_KWH_PER_LBS_PER_MWH * 1000).toBeCloseTo(453.59237, 9);
  });
  it("reads the v2 array shape and average (AOER) signals", () => {
    const v2 = JSON.stringify([
      { point_time: "2023-06-08T00:05:00Z", value: 1000, ba: "X", datatype: "MOER" },
      { point_time: "2023-06-08T00:00:00Z", value: 2000, ba: "X", datatype: "MOER" },
    ]);
    const wt = loadWattTimeJson(v2);
    expect(wt.signal.at(ts("2023-06-08T00:00:00Z"))).toBeCloseTo(907.18474, 6);
    expect(wt.basis).toBe("marginal");
    const aoer = loadWattTimeJson(
      JSON.stringify({
        data: [{ point_time: "2023-06-08T00:00:00Z", value: 100 }],
        meta: { signal_type: "co2_aoer", units: "lbs_co2_per_mwh" },
      }),
    );
    expect(aoer.basis).toBe("average");
  });
  it("reports broken input as SignalError", () => {
    expect(() => loadWattTimeJson("{")).toThrow(SignalError);
    expect(() => loadWattTimeJson('{"data":[]}')).toThrow(/no data points/);
    expect(() => loadWattTimeJson('[{"value":1}]')).toThrow(/point 0/);
  });
});

describe("UK carbon-intensity API JSON", () => {
  const national = JSON.stringify({
    data: [
      {
        from: "2018-01-20T12:00Z",
        to: "2018-01-20T12:30Z",
        intensity: { forecast: 266, actual: 263, index: "moderate" },
      },
      {
        from: "2018-01-20T12:30Z",
        to: "2018-01-20T13:00Z",
        intensity: { forecast: 270, actual: null, index: "moderate" },
      },
    ],
  });
  it("reads actual values, falling back to the forecast", () => {
    const uk = loadUkCarbonIntensityJson(national);
    expect(uk.basis).toBe("average");
    expect(uk.signal.at(ts("2018-01-20T12:10:00Z"))).toBe(263);
    expect(uk.signal.at(ts("2018-01-20T12:45:00Z"))).toBe(270);
    expect(
      loadUkCarbonIntensityJson(national, { value: "forecast" }).signal.at(ts("2018-01-20T12:10:00Z")),
    ).toBe(266);
  });
  it("reads one region of the regional shape", () => {
    const regional = JSON.stringify({
      data: [
        {
          from: "2018-05-15T11:30Z",
          to: "2018-05-15T12:00Z",
          regions: [
            { regionid: 1, shortname: "North Scotland", intensity: { forecast: 0, index: "very low" } },
            { regionid: 13, shortname: "London", intensity: { forecast: 187, index: "moderate" } },
          ],
        },
      ],
    });
    expect(loadUkCarbonIntensityJson(regional, { region: "London" }).signal.at(ts("2018-05-15T11:30Z"))).toBe(
      187,
    );
    expect(loadUkCarbonIntensityJson(regional, { region: 1 }).signal.at(ts("2018-05-15T11:30Z"))).toBe(0);
    expect(() => loadUkCarbonIntensityJson(regional)).toThrow(/which region/);
  });
  it("reads one region's nested series", () => {
    const periods = [
      { from: "2018-05-15T11:30Z", to: "2018-05-15T12:00Z", intensity: { forecast: 120, index: "low" } },
    ];
    const byId = JSON.stringify({ data: { regionid: 3, shortname: "Manchester", data: periods } });
    const byPostcode = JSON.stringify({ data: [{ regionid: 13, postcode: "RG10", data: periods }] });
    expect(loadUkCarbonIntensityJson(byId).signal.at(ts("2018-05-15T11:45Z"))).toBe(120);
    expect(loadUkCarbonIntensityJson(byPostcode).signal.at(ts("2018-05-15T11:45Z"))).toBe(120);
  });
});

describe("Vessim and plain CSV traces", () => {
  it("anchors the normalised solar trace and scales it to a peak", () => {
    const start = ts("2022-06-01T00:00:00Z");
    const berlin = loadVessimCsv(data("vessim/solar_example.csv"), "Berlin", {
      anchorMs: start,
      scale: 4000,
    });
    expect(berlin.startMs).toBe(start);
    expect(Math.max(...berlin.values)).toBeLessThanOrEqual(4000);
    expect(Math.max(...berlin.values)).toBeGreaterThan(3000);
    expect(Math.min(...berlin.values)).toBeGreaterThanOrEqual(0);
    expect(() => loadVessimCsv(data("vessim/solar_example.csv"), "Paris")).toThrow(
      /no column "Paris"; columns: time, Berlin/,
    );
  });
  it("reads timestamped CSV with ISO or space-separated times", () => {
    const t = loadTraceCsv("ts,w\n2024-01-01T00:00:00Z,5\n2024-01-01 01:00:00,7\n", { column: "w" });
    expect(t.at(ts("2024-01-01T00:30:00Z"))).toBe(5);
    expect(t.at(ts("2024-01-01T01:00:00Z"))).toBe(7);
    expect(() => loadTraceCsv("ts,w\nyesterday,5\n", { column: "w", source: "a.csv" })).toThrow(
      /a\.csv: row 2/,
    );
    expect(() => loadTraceCsv("ts,w\n0,x\n", { column: "w" })).toThrow(/not a number/);
  });
});
