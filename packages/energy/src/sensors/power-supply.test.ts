import { useTempDirs } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { findPowerSupplies, normaliseBatterySign, parseBatteryStatus } from "./power-supply.js";
import { axp20xBoard, bareServer, laptopAcpi } from "./testdata/sysfs-trees.js";

const root = useTempDirs("qonnect-sysfs-");

describe("/sys/class/power_supply", () => {
  it("lists system batteries, not the mains adapter without measurements or a mouse's battery", async () => {
    const r = root();
    laptopAcpi(r);
    expect((await findPowerSupplies(r)).map((s) => s.id)).toEqual(["power-supply:BAT0", "power-supply:BAT1"]);
  });

  it("turns ACPI magnitudes into negative power and current while discharging (µ-units → SI)", async () => {
    const r = root();
    laptopAcpi(r, "Discharging");
    const [bat0, bat1] = await findPowerSupplies(r, () => 1);
    expect(await bat0!.read()).toEqual({
      tsMs: 1,
      valid: true,
      busVoltageV: 11.943,
      powerW: -8.512,
      batteryStatus: "discharging",
      energyWh: 31.28,
      stateOfCharge: 0.68,
    });
    const b1 = await bat1!.read();
    expect(b1).toMatchObject({
      currentA: -1.45,
      chargeAh: 1.95,
      stateOfCharge: 0.5,
      batteryStatus: "discharging",
    });
    expect(b1.powerW).toBeCloseTo(-12.1 * 1.45, 9);
  });

  it("keeps them positive while charging", async () => {
    const r = root();
    laptopAcpi(r, "Charging");
    const [bat0] = await findPowerSupplies(r);
    expect(await bat0!.read()).toMatchObject({ powerW: 8.512, batteryStatus: "charging" });
  });

  it("reads a signed fuel gauge the same way, whatever sign the driver uses", async () => {
    const signed = root();
    axp20xBoard(signed, -412000, "Discharging");
    const supplies = await findPowerSupplies(signed);
    expect(supplies.map((s) => s.id)).toEqual(["power-supply:axp20x-battery"]);
    const r = await supplies[0]!.read();
    expect(r).toMatchObject({ currentA: -0.412, busVoltageV: 3.851, stateOfCharge: 0.64 });
    expect(r.powerW).toBeCloseTo(-3.851 * 0.412, 9);
    const unknown = root();
    axp20xBoard(unknown, -412000, "Unknown");
    expect(await (await findPowerSupplies(unknown))[0]!.read()).toMatchObject({
      currentA: -0.412,
      batteryStatus: "unknown",
    });
  });

  it("marks a battery that is not present as having no data", async () => {
    const r = root();
    laptopAcpi(r).attrs("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0A:01/power_supply/BAT1", { present: 0 });
    const [, bat1] = await findPowerSupplies(r);
    expect(await bat1!.read()).toMatchObject({ valid: false, invalidReason: "no-data" });
  });

  it("normalises signs and statuses", () => {
    expect(normaliseBatterySign(5, "discharging")).toBe(-5);
    expect(normaliseBatterySign(-5, "discharging")).toBe(-5);
    expect(normaliseBatterySign(-5, "charging")).toBe(5);
    expect(normaliseBatterySign(-5, "full")).toBe(-5);
    expect(parseBatteryStatus("Not charging")).toBe("not-charging");
    expect(parseBatteryStatus("Bogus")).toBe("unknown");
    expect(parseBatteryStatus(undefined)).toBe("unknown");
  });

  it("finds nothing on a server", async () => {
    const r = root();
    bareServer(r);
    expect(await findPowerSupplies(r)).toEqual([]);
  });
});
