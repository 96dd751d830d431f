// The simulated rig's electrical model of one board: the supply voltage and the current the board draws for
// the CPU its processes actually use (P(u) = idleW + (maxW − idleW)·u, zero while the relay is off), and what
// each INA219 sees of it — the board's own chip and the rig's meter each with independent errors (gain,
// offset, noise) within the datasheet's tolerance, so comparing the two readings tests something. Pure: the
// utilisation and the random source are inputs.
import type { Ina219Truth } from "@qonnect/energy";
import type { SensorErrorSpec } from "./rig-manifest.js";

export const SUPPLY_V = 5.1;

export interface BoardLoad {
  powered: boolean;
  /** 0..1 over the board's cores. */
  cpuUtil: number;
}

/** The true bus voltage and current of a board. */
export function boardTruth(profile: { idleW: number; maxW: number }, load: BoardLoad): Ina219Truth {
  if (!load.powered) return { busVoltageV: 0, currentA: 0 };
  const u = Math.min(1, Math.max(0, load.cpuUtil));
  const powerW = profile.idleW + (profile.maxW - profile.idleW) * u;
  return { busVoltageV: SUPPLY_V, currentA: powerW / SUPPLY_V };
}

/** Standard normal from two uniforms (Box–Muller). */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** What one chip's ADC input amounts to: the truth through its gain and offset error, plus noise. */
export function seenByChip(truth: Ina219Truth, error: SensorErrorSpec, random: () => number): Ina219Truth {
  if (truth.busVoltageV === 0 && truth.currentA === 0) return truth;
  const currentA =
    truth.currentA * (1 + error.gainFraction) + error.offsetA + error.noiseA * gaussian(random);
  return { busVoltageV: truth.busVoltageV, currentA: Math.max(0, currentA) };
}
