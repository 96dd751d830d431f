// @qonnect/energy/testing — for tests only (the dependency check enforces it): fixture sysfs trees of real
// boards (Raspberry Pi with an INA219 on hwmon, Jetsons, laptops, an AXP20x board, a bare server) that the
// sensor finders read, so other packages' tests can give a device agent a realistic /sys.
export {
  axp20xBoard,
  bareServer,
  jetsonNanoIio,
  jetsonOrinNanoHwmon,
  jetsonTx2Iio,
  laptopAcpi,
  raspberryPiWithIna219Hwmon,
} from "./sensors/testdata/sysfs-trees.js";
