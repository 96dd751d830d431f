import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@qonnect/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { bufferIo } from "../io.js";
import { run } from "../run.js";

const dirs: { remove(): void }[] = [];
function root(): string {
  const d = tempDir("qonnect-sensors-cli-");
  dirs.push(d);
  return d.path;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

/** A laptop battery as the ACPI driver lays it out: attributes under /sys/devices, a class symlink. */
function laptop(r: string): void {
  const dev = "sys/devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0A:00/power_supply/BAT0";
  mkdirSync(join(r, dev), { recursive: true });
  const attrs = {
    type: "Battery",
    status: "Discharging",
    voltage_now: 12000000,
    power_now: 6000000,
    capacity: 55,
  };
  for (const [k, v] of Object.entries(attrs)) writeFileSync(join(r, dev, k), `${v}\n`);
  mkdirSync(join(r, "sys/class/power_supply"), { recursive: true });
  symlinkSync(
    `../../devices/LNXSYSTM:00/LNXSYBUS:00/PNP0C0A:00/power_supply/BAT0`,
    join(r, "sys/class/power_supply/BAT0"),
  );
}

describe("qonnect sensors", () => {
  it("says honestly that an empty machine has no sensors", async () => {
    const r = root();
    const io = bufferIo(r);
    expect(await run(["sensors", "--root", "."], io)).toBe(0);
    expect(io.stdout).toMatch(/^no power sensors found under /);
    expect(io.stderr).toBe("");
  });

  it("lists a battery and its live reading as a table and as JSON", async () => {
    const r = root();
    laptop(r);
    const io = bufferIo(r);
    expect(await run(["sensors", "--root", r], io)).toBe(0);
    expect(io.stdout).toMatch(
      /power-supply:BAT0\s+power-supply\s+BAT0 \(Battery\)\s+yes\s+12\.000\s+-\s+-6\.000\s+55\.0%\s+discharging/,
    );
    const json = bufferIo(r);
    expect(await run(["sensors", "--root", r, "--json"], json)).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.sensors).toHaveLength(1);
    expect(out.sensors[0]).toMatchObject({
      id: "power-supply:BAT0",
      emulated: false,
      reading: {
        valid: true,
        busVoltageV: 12,
        powerW: -6,
        stateOfCharge: 0.55,
        batteryStatus: "discharging",
      },
    });
  });

  it("INA219 emulator: --emulate reads the emulated load and UPS HAT through the real driver", async () => {
    const r = root();
    const io = bufferIo(r);
    expect(await run(["sensors", "--root", r, "--emulate", "--json"], io)).toBe(0);
    const out = JSON.parse(io.stdout);
    expect(out.sensors.map((s: { id: string; emulated: boolean }) => [s.id, s.emulated])).toEqual([
      ["ina219:virtual-0x40", true],
      ["ups-hat:ina219:virtual-0x42", true],
    ]);
    expect(out.sensors[0].reading).toMatchObject({ valid: true, busVoltageV: 5.1 });
    expect(out.sensors[1].reading).toMatchObject({ valid: true, batteryStatus: "discharging" });
    const text = bufferIo(r);
    expect(await run(["sensors", "--root", r, "--emulate"], text)).toBe(0);
    expect(text.stdout).toMatch(/ina219 \(emulated\)/);
  });

  it("rejects a root that does not exist as a usage error", async () => {
    const io = bufferIo(root());
    expect(await run(["sensors", "--root", "no/such/dir"], io)).toBe(2);
    expect(io.stderr).toMatch(/--root no\/such\/dir: no such directory/);
  });
});
