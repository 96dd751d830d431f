// The one seeded pseudo-random generator of the code base (mulberry32): the planner's heuristic, the Raft
// simulator's schedules and election timeouts, and property tests draw from it, so a run repeats per seed.

/** Floats in [0, 1) from a 32-bit seed; the same seed gives the same sequence on every machine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
