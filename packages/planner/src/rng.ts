import { mulberry32 } from "@qonnect/core";

/** The heuristic's only source of randomness (core's mulberry32), so plans repeat per seed; seed 0 is remapped. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed >>> 0 || 0x9e3779b9);
}

/** Fisher–Yates shuffle in place with `random`. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}
