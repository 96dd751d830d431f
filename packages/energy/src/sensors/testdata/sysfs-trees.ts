// Fixture sysfs trees, laid out as on the real machines: attributes live under /sys/devices/..., and the
// class and bus directories (/sys/class/hwmon, /sys/class/power_supply, /sys/bus/iio/devices) hold relative
// symlinks into it, as the kernel makes them. Each builder writes one machine into a fresh root directory.
import { SysfsTree } from "@qonnect/testkit";

/** Every machine has a CPU temperature hwmon; sensors must skip it. */
function thermal(t: SysfsTree, hwmon: string): SysfsTree {
  return t.hwmon("/sys/devices/virtual/thermal/thermal_zone0", hwmon, {
    name: "cpu_thermal",
    temp1_input: 48312,
  });
}

/** Raspberry Pi 4 with an INA219 breakout bound to the kernel driver (dtoverlay=i2c-sensor,ina219) at 1-0040. */
export function raspberryPiWithIna219Hwmon(root: string): SysfsTree {
  const t = thermal(new SysfsTree(root), "hwmon0");
  t.hwmon("/sys/devices/platform/soc/soc:firmware/raspberrypi-hwmon", "hwmon1", { name: "rpi_volt" });
  return t.hwmon("/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0040", "hwmon2", {
    name: "ina219",
    in0_input: 12, // mV across 0.1 Ω
    in1_input: 5104, // mV
    curr1_input: 123, // mA
    power1_input: 628000, // µW
    shunt_resistor: 100000, // µΩ
    update_interval: 1,
  });
}

/** Jetson Orin Nano on JetPack 6: INA3221 at 1-0040 under the mainline hwmon driver. */
export function jetsonOrinNanoHwmon(root: string, options: { disableChannel3?: boolean } = {}): SysfsTree {
  const t = thermal(new SysfsTree(root), "hwmon0");
  return t.hwmon("/sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040", "hwmon1", {
    name: "ina3221",
    in1_label: "VDD_IN",
    in2_label: "VDD_CPU_GPU_CV",
    in3_label: "VDD_SOC",
    in1_enable: 1,
    in2_enable: 1,
    in3_enable: options.disableChannel3 ? 0 : 1,
    in1_input: 5072,
    in2_input: 5064,
    in3_input: 5064,
    curr1_input: 1176,
    curr2_input: 312,
    curr3_input: 856,
    in4_input: 5880, // shunt voltages, µV (the driver's unit for these, unlike in1..3)
    in5_input: 1560,
    in6_input: 4280,
    in7_input: 11720,
    in7_label: "sum of shunt voltages",
    shunt1_resistor: 5000,
    shunt2_resistor: 5000,
    shunt3_resistor: 5000,
    curr1_crit: 9600,
    update_interval: 1,
  });
}

/** Jetson Nano on L4T 32 (JetPack 4): NVIDIA's ina3221x iio driver at 6-0040. */
export function jetsonNanoIio(root: string): SysfsTree {
  const t = thermal(new SysfsTree(root), "hwmon0");
  const dev = "/sys/devices/7000c400.i2c/i2c-6/6-0040";
  t.attrs(`${dev}/iio:device0`, {
    name: "ina3221x",
    rail_name_0: "POM_5V_IN",
    rail_name_1: "POM_5V_GPU",
    rail_name_2: "POM_5V_CPU",
    in_power0_input: 2611, // mW
    in_power1_input: 40,
    in_power2_input: 522,
    in_current0_input: 521, // mA
    in_current1_input: 8,
    in_current2_input: 104,
    in_voltage0_input: 5008, // mV
    in_voltage1_input: 5000,
    in_voltage2_input: 5016,
    crit_current_limit_0: 4000,
    warn_current_limit_0: 3000,
    running_mode: 1,
  });
  return t
    .link("/sys/bus/iio/devices/iio:device0", `${dev}/iio:device0`)
    .link("/sys/bus/i2c/drivers/ina3221x/6-0040", dev);
}

/**
 * Jetson TX2 on L4T 28: two ina3221x chips at 0-0040 and 0-0041, reached through the driver's directory and an
 * `iio_device` link (no /sys/bus/iio entries in this fixture, so only the driver path finds them).
 */
export function jetsonTx2Iio(root: string): SysfsTree {
  const t = new SysfsTree(root);
  const rails: [string, string[]][] = [
    ["0-0040", ["VDD_SYS_GPU", "VDD_SYS_SOC", "VDD_4V0_WIFI"]],
    ["0-0041", ["VDD_IN", "VDD_SYS_CPU", "VDD_SYS_DDR"]],
  ];
  for (const [i, [client, names]] of rails.entries()) {
    const dev = `/sys/devices/3160000.i2c/i2c-0/${client}`;
    const iio = `${dev}/iio:device${i}`;
    const attrs: Record<string, string | number> = { name: "ina3221x" };
    for (const [c, name] of names.entries()) {
      attrs[`rail_name_${c}`] = name;
      attrs[`in_power${c}_input`] = 19 * (c + 1);
      attrs[`in_current${c}_input`] = 4 * (c + 1);
      attrs[`in_voltage${c}_input`] = 4928;
    }
    t.attrs(iio, attrs).link(`${dev}/iio_device`, iio).link(`/sys/bus/i2c/drivers/ina3221x/${client}`, dev);
  }
  return t;
}

/** An x86 laptop: ACPI batteries (magnitudes, direction in `status`), mains adapter, a mouse's battery. */
export function laptopAcpi(root: string, status: "Discharging" | "Charging" = "Discharging"): SysfsTree {
  const t = thermal(new SysfsTree(root), "hwmon0");
  const acpi = "/sys/devices/LNXSYSTM:00/LNXSYBUS:00";
  t.powerSupply(`${acpi}/PNP0C0A:00`, "BAT0", {
    type: "Battery",
    status,
    present: 1,
    technology: "Li-ion",
    voltage_min_design: 11400000,
    voltage_now: 11943000, // µV
    power_now: 8512000, // µW, a magnitude
    energy_full_design: 57000000,
    energy_full: 45600000,
    energy_now: 31280000, // µWh
    capacity: 68,
    capacity_level: "Normal",
    manufacturer: "SMP",
    model_name: "5B10W13930",
  });
  // a second battery reporting in charge units: current_now, charge_now (µA, µAh)
  t.powerSupply(`${acpi}/PNP0C0A:01`, "BAT1", {
    type: "Battery",
    status,
    present: 1,
    voltage_now: 12100000,
    current_now: 1450000, // µA, a magnitude
    charge_full: 3900000,
    charge_now: 1950000, // µAh
  });
  t.powerSupply(`${acpi}/ACPI0003:00`, "AC", { type: "Mains", online: status === "Charging" ? 1 : 0 });
  return t.powerSupply(
    "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.2/0003:046D:C52B.0003",
    "hidpp_battery_0",
    {
      type: "Battery",
      scope: "Device",
      status: "Discharging",
      capacity_level: "Normal",
      online: 1,
    },
  );
}

/** A PinePhone-like board: the axp20x fuel gauge reports signed current (negative = discharging). */
export function axp20xBoard(root: string, currentUa: number, status: string): SysfsTree {
  const t = new SysfsTree(root);
  const pmic = "/sys/devices/platform/soc/1f03400.rsb/sunxi-rsb-3a3";
  t.powerSupply(`${pmic}/axp20x-battery-power-supply`, "axp20x-battery", {
    type: "Battery",
    status,
    present: 1,
    voltage_now: 3851000,
    current_now: currentUa,
    capacity: 64,
  });
  return t.powerSupply(`${pmic}/axp20x-usb-power-supply`, "axp20x-usb", {
    type: "USB",
    online: 1,
    present: 1,
    current_max: 1500000,
  });
}

/** A cloud VM or x86 server: a temperature sensor and no power sensors at all. */
export function bareServer(root: string): SysfsTree {
  return new SysfsTree(root).hwmon("/sys/devices/platform/coretemp.0", "hwmon0", {
    name: "coretemp",
    temp1_input: 41000,
  });
}
