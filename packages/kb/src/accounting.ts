// Accounting from the regions' cumulative counters (DESIGN.md §6): energy (Wh), carbon (g: the grid share of
// the energy at the zone's average intensity, solar excess counted as 0) and cost (grid energy at the zone's
// price plus the device's price per hour). Counters are cumulative, so a missed summary loses nothing; a
// counter that goes backwards (a region that lost its state) is re-based, never counted negative.

export interface DeviceCounters {
  /** The region's cumulative figures as last seen. */
  energyWh: number;
  solarEnergyWh: number;
  tsMs: number;
}

export interface Tariff {
  intensityGPerKWh: number;
  pricePerKWh: number;
  pricePerHour: number;
}

export interface Delta {
  energyWh: number;
  solarEnergyWh: number;
  carbonG: number;
  cost: number;
}

export function accountDelta(prev: DeviceCounters | undefined, next: DeviceCounters, tariff: Tariff): Delta {
  if (
    !prev ||
    next.energyWh < prev.energyWh ||
    next.solarEnergyWh < prev.solarEnergyWh ||
    next.tsMs < prev.tsMs
  )
    return { energyWh: 0, solarEnergyWh: 0, carbonG: 0, cost: 0 };
  const energyWh = next.energyWh - prev.energyWh;
  const solarEnergyWh = Math.min(energyWh, next.solarEnergyWh - prev.solarEnergyWh);
  const gridKWh = Math.max(0, energyWh - solarEnergyWh) / 1000;
  const hours = (next.tsMs - prev.tsMs) / 3_600_000;
  return {
    energyWh,
    solarEnergyWh,
    carbonG: gridKWh * tariff.intensityGPerKWh,
    cost: gridKWh * tariff.pricePerKWh + tariff.pricePerHour * hours,
  };
}

export interface Totals {
  energyWh: number;
  carbonG: number;
  cost: number;
}

export function addTotals(a: Totals | undefined, d: Totals, share = 1): Totals {
  return {
    energyWh: (a?.energyWh ?? 0) + d.energyWh * share,
    carbonG: (a?.carbonG ?? 0) + d.carbonG * share,
    cost: (a?.cost ?? 0) + d.cost * share,
  };
}
