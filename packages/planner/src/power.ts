import type { Device } from "@qonnect/core";

// The device power model P(u) = idleW + (maxW − idleW)·u^γ and the marginal power of added load.
// NOTE: @qonnect/energy owns the power model (calibrated online); it exported none yet when the planner was
// written, so the closed form lives here. Swap for energy's marginal-power function once it is exported.

/** Power drawn at CPU utilisation `u` (0..1), W. */
export function powerAtW(device: Pick<Device, "idleW" | "maxW" | "gamma">, u: number): number {
  const clamped = Math.min(1, Math.max(0, u));
  return device.idleW + (device.maxW - device.idleW) * clamped ** device.gamma;
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
  if (device.gamma === 1) return ((device.maxW - device.idleW) * cpuCores) / device.cpuCores;
  const u0 = device.usedCpuCores / device.cpuCores;
  return powerAtW(device, u0 + cpuCores / device.cpuCores) - powerAtW(device, u0);
}
