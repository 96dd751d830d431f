// Embodied emissions of the site's equipment, amortised over its lifetime.

/** Embodied emission factors, kg CO₂(eq) per unit of installed capacity. */
export const EMBODIED_KG = Object.freeze({
  /** Solar PV, per kWp. */
  solarPerKWp: 412,
  /** Wind, per kWp. */
  windPerKWp: 349,
  /** Lithium-ion battery, per kWh. */
  batteryPerKWh: 74,
});

/** Lifetimes over which embodied emissions are spread, years (365-day years). */
export interface Lifetimes {
  solarYears: number;
  windYears: number;
  batteryYears: number;
}

export const DEFAULT_LIFETIMES: Readonly<Lifetimes> = Object.freeze({
  solarYears: 25,
  windYears: 20,
  batteryYears: 10,
});

export interface Equipment {
  solarKWp: number;
  windKWp: number;
  batteryKWh: number;
}

const YEAR_S = 365 * 24 * 3600;

/**
 * Embodied emissions charged to a period of `durationS` seconds, g:
 * Σ factor_kg · size · 1000 · durationS / (lifetime_years · 365 · 86 400).
 */
export function embodiedEmissionsG(
  equipment: Equipment,
  durationS: number,
  lifetimes: Lifetimes = DEFAULT_LIFETIMES,
): number {
  const share = (years: number) => durationS / (years * YEAR_S);
  return (
    1000 *
    (EMBODIED_KG.solarPerKWp * equipment.solarKWp * share(lifetimes.solarYears) +
      EMBODIED_KG.windPerKWp * equipment.windKWp * share(lifetimes.windYears) +
      EMBODIED_KG.batteryPerKWh * equipment.batteryKWh * share(lifetimes.batteryYears))
  );
}
