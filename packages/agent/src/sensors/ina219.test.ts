import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { useTempDirs } from "@qonnect/testkit";
import { describe, expect, it } from "vitest";
import { openEmulatedIna219, truthFileScenario } from "./ina219.js";

describe("emulated INA219 fed from a truth file (the simulated HIL rig's electrical model)", () => {
  const temp = useTempDirs();

  it("reads the truth when the file changes, keeps the last one over a torn or missing file", () => {
    const file = join(temp(), "truth.json");
    const scenario = truthFileScenario(file, { busVoltageV: 5, currentA: 0.1 });
    expect(scenario(0)).toEqual({ busVoltageV: 5, currentA: 0.1 });
    writeFileSync(file, JSON.stringify({ busVoltageV: 5.1, currentA: 0.6 }));
    expect(scenario(200)).toEqual({ busVoltageV: 5.1, currentA: 0.6 });
    writeFileSync(file, '{"busVoltageV": 5.1, "curr');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(scenario(400)).toEqual({ busVoltageV: 5.1, currentA: 0.6 });
  });

  it("the driver reads the file's load through the emulator's registers", async () => {
    const file = join(temp(), "truth.json");
    writeFileSync(file, JSON.stringify({ busVoltageV: 5.1, currentA: 0.8 }));
    const sensor = await openEmulatedIna219({
      busVoltageV: 5,
      currentA: 0,
      shuntResistanceOhm: 0.1,
      truthFile: file,
    });
    const reading = await sensor.read();
    expect(reading.powerW).toBeCloseTo(5.1 * 0.8, 1);
  });
});
