import type { Problem } from "./problem.js";
import type { PlacementState } from "./state.js";

// Repacking neighbourhoods for the large-neighbourhood search (lns.ts): bin packing that single moves, swaps
// and regret insertion do not find. A group of devices (a site, or a device and a few others) is emptied,
// a few replicas from elsewhere are pulled in, and everything is packed back best-fit decreasing (largest
// request first, each onto the group device it fills most tightly). That frees room in whole pieces: a
// replica that sits on a worse site only because the good site's free cores are fragmented can move in.
// A short local search over the ruined replicas (moves and swaps) then prices the packing. Deterministic
// for the random source; effort counted in `count`.

/** Most replicas pulled into the group from elsewhere. */
const MAX_PULL = 4;
/** Devices in a device-group ruin besides the seed's device. */
const MAX_PARTNERS = 3;
/** Rounds of the short local search after packing. */
const POLISH_ROUNDS = 3;
const IMPROVEMENT = 1e-12;

export interface Repack {
  /** Replicas removed from the plan. */
  chosen: number[];
  /** The group's devices, packed first. */
  devices: number[];
}

/**
 * The ruin: every replica of `pool` on the seed's site (`site`) or on the seed's device and a few other
 * devices (`group`), plus up to MAX_PULL replicas of `pool` from outside whose service may run in the group.
 */
export function repackRuin(
  p: Problem,
  state: PlacementState,
  pool: readonly number[],
  seed: number,
  kind: "site" | "group",
  random: () => number,
): Repack {
  const d0 = state.device[seed]!;
  const inGroup = new Set<number>([d0]);
  if (kind === "site") {
    for (let d = 0; d < p.deviceCount; d++) if (p.siteOf[d] === p.siteOf[d0]) inGroup.add(d);
  } else {
    // partners: devices of other pool replicas, or candidates of the seed's service
    const candidates = p.services[p.serviceOf[seed]!]!.candidates;
    const partners = 1 + Math.floor(random() * MAX_PARTNERS);
    for (let k = 0; k < 4 * partners && inGroup.size <= partners; k++) {
      const d =
        random() < 0.5
          ? state.device[pool[Math.floor(random() * pool.length)]!]!
          : candidates[Math.floor(random() * Math.min(candidates.length, 64))]!;
      if (d >= 0) inGroup.add(d);
    }
  }
  const chosen: number[] = [];
  const outside: number[] = [];
  for (const i of pool) (inGroup.has(state.device[i]!) ? chosen : outside).push(i);
  const devices = [...inGroup];
  const pull = 1 + Math.floor(random() * MAX_PULL);
  let pulled = 0;
  for (let tries = 0; tries < 4 * pull && pulled < pull && outside.length > 0; tries++) {
    // tournament: of two replicas whose service may run in the group, the one that costs more where it is
    let at = -1;
    let worst = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < 2; k++) {
      const j = Math.floor(random() * outside.length);
      const i = outside[j]!;
      const allowed = p.services[p.serviceOf[i]!]!.allowed;
      if (!devices.some((d) => allowed[d])) continue;
      const d = state.device[i]!;
      state.unplace(i);
      const c = state.delta(i, d);
      state.place(i, d);
      if (c > worst) {
        worst = c;
        at = j;
      }
    }
    if (at < 0) continue;
    chosen.push(outside[at]!);
    outside.splice(at, 1);
    pulled++;
  }
  return { chosen, devices };
}

/** Rank of each value (0 = smallest; equal values share a rank). */
function rank(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return values.map((v) => sorted.findIndex((w) => w >= v - 1e-9));
}

function cheapest(
  p: Problem,
  state: PlacementState,
  i: number,
  window: number,
  count: { n: number },
  exclude = -1,
) {
  const candidates = p.services[p.serviceOf[i]!]!.candidates;
  let device = -1;
  let cost = Number.POSITIVE_INFINITY;
  let seen = 0;
  for (let k = 0; k < candidates.length && seen < window; k++) {
    const d = candidates[k]!;
    if (d === exclude || state.blocker(i, d) !== undefined) continue;
    seen++;
    count.n++;
    const c = state.delta(i, d);
    if (c < cost) {
      cost = c;
      device = d;
    }
  }
  return { device, cost };
}

/** Moves and swaps among `chosen` until none gains (at most POLISH_ROUNDS rounds). */
function polish(
  p: Problem,
  state: PlacementState,
  chosen: readonly number[],
  window: number,
  count: { n: number },
): void {
  for (let round = 0; round < POLISH_ROUNDS; round++) {
    let improved = false;
    for (const i of chosen) {
      const from = state.device[i]!;
      state.unplace(i);
      const stay = state.delta(i, from);
      const b = cheapest(p, state, i, window, count, from);
      if (b.device >= 0 && b.cost < stay - IMPROVEMENT) {
        state.place(i, b.device);
        improved = true;
      } else state.place(i, from);
    }
    for (let a = 0; a < chosen.length; a++)
      for (let b = a + 1; b < chosen.length; b++) {
        const i = chosen[a]!;
        const j = chosen[b]!;
        const di = state.device[i]!;
        const dj = state.device[j]!;
        if (di === dj || p.serviceOf[i] === p.serviceOf[j]) continue;
        if (!p.services[p.serviceOf[i]!]!.allowed[dj] || !p.services[p.serviceOf[j]!]!.allowed[di]) continue;
        count.n += 2;
        if (state.trySwap(i, j, IMPROVEMENT)) improved = true;
      }
    if (!improved) break;
  }
}

/**
 * The recreate: best-fit decreasing into the group's devices (ties by price), what does not fit there on
 * its cheapest device anywhere, then the short local search. False (and nothing placed) when a replica fits
 * nowhere.
 */
export function repackRecreate(
  p: Problem,
  state: PlacementState,
  r: Repack,
  window: number,
  random: () => number,
  count: { n: number },
): boolean {
  const svc = (i: number) => p.services[p.serviceOf[i]!]!.service;
  // largest first, or whole services in a random order; a device by its rank in slack left and in price,
  // weighted at random (0: pure best fit, 1: pure cheapest)
  const byClass = random() < 0.5;
  const classKey = p.services.map(() => random());
  const weight = random() < 0.3 ? 0 : random();
  const order = r.chosen
    .map((i) => ({ i, cpu: svc(i).cpuCores, mem: svc(i).memoryBytes, noise: random() }))
    .sort((x, y) =>
      byClass
        ? classKey[p.serviceOf[x.i]!]! - classKey[p.serviceOf[y.i]!]! || x.noise - y.noise
        : y.cpu - x.cpu || y.mem - x.mem || x.noise - y.noise,
    );
  const placed: number[] = [];
  const options: { d: number; slack: number; cost: number }[] = [];
  for (const { i } of order) {
    options.length = 0;
    const allowed = p.services[p.serviceOf[i]!]!.allowed;
    for (const d of r.devices) {
      if (!allowed[d] || state.blocker(i, d) !== undefined) continue;
      count.n++;
      options.push({ d, slack: state.freeCpu[d]! - svc(i).cpuCores, cost: state.delta(i, d) });
    }
    let device = -1;
    if (options.length > 0) {
      const slackRank = rank(options.map((o) => o.slack));
      const costRank = rank(options.map((o) => o.cost));
      let bestScore = Number.POSITIVE_INFINITY;
      for (let k = 0; k < options.length; k++) {
        const score = (1 - weight) * slackRank[k]! + weight * costRank[k]! + 1e-6 * costRank[k]!;
        if (score < bestScore) {
          bestScore = score;
          device = options[k]!.d;
        }
      }
    } else device = cheapest(p, state, i, window, count).device;
    if (device < 0) {
      for (const j of placed) state.unplace(j);
      return false;
    }
    state.place(i, device);
    placed.push(i);
  }
  polish(p, state, r.chosen, window, count);
  return true;
}
