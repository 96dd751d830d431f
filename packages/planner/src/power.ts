import type { Device } from "@qonnect/core";
import { marginalPowerW as modelMarginalPowerW, powerW } from "@qonnect/energy";

// The device power model P(u) = idleW + (maxW − idleW)·u^γ is @qonnect/energy's (calibrated online there);
// the planner asks it for the power a replica adds to a device.

/** Power drawn at CPU utilisation `u` (0..1, clamped), W. */
export function powerAtW(device: Pick<Device, "idleW" | "maxW" | "gamma">, u: number): number {
  return powerW(device, u);
}

/**
 * Power added by `cpuCores` more busy cores on `device`, measured from its current utilisation
 * (usedCpuCores / cpuCores, what already runs). With γ = 1 this is (maxW − idleW)·cpuCores / device cores.
 */
export function marginalPowerW(
  device: Pick<Device, "idleW" | "maxW" | "gamma" | "cpuCores" | "usedCpuCores">,
  cpuCores: number,
): number {
  if (device.cpuCores <= 0) return 0;
  const u0 = device.usedCpuCores / device.cpuCores;
  return modelMarginalPowerW(device, u0, u0 + cpuCores / device.cpuCores);
}
