import { EPS } from "./filter.js";
import type { Col, WarmContext } from "./formulation.js";
import type { Milp } from "./milp.js";
import type { Problem } from "./problem.js";
import { latencyTree, type TreeEdge } from "./tree.js";

// The calls part of the count formulation (formulation.ts):
//   limits   presence P[s,a] ∈ {0,1} with Y[s,a] = Σ_{d at a} n[s,d] ≤ U·P[s,a]; P[s,a] + P[t,b] ≤ 1 for site
//            pairs over maxLatencyMs (every pair of replicas must meet the limit)
//   latency  the mean pair latency (1/(n_s n_t)) Σ_{a,b} lat(a,b)·Y[s,a]·Y[t,b], a product of counts:
//            - on a latency tree (tree.ts), per tree edge e with X = replicas of s below e and Z = of t:
//              Σ_{a,b} lat·Y·Y = Σ_e ms_e·(n_t·X + n_s·Z − 2·X·Z), linear but for X·Z, which is
//              Σ_k q_k with q_k ≤ Z, q_k ≤ Zmax·H_k and H_k = "at least k replicas below e" (ordered, unary);
//              either side of the edge and either service may be the expanded one (the shortest expansion)
//            - otherwise per allowed site pair through a unary expansion of the smaller side
//              (G[t,b,k] = "at least k replicas of t at b", ordered) and v ≥ Y[s,a] − U·(1 − G[t,b,k]), plus
//              the exact marginals Σ_b W[a,b] = replicas_t·Y[s,a] (a transport bound in the LP relaxation)
//            Both have the tree's earth-mover distance as LP relaxation; the tree form has edges × n instead
//            of site pairs × n columns.

type Site = { cols: number[]; most: number };

/** Per service, site → count columns there, and the most replicas that site can hold. */
function sitesOf(p: Problem, countCol: Map<number, number>[], ub: Map<number, number>[], s: number) {
  const out = new Map<number, { cols: number[]; most: number }>();
  for (const [d, c] of countCol[s]!) {
    const a = p.siteOf[d]!;
    const e = out.get(a) ?? { cols: [], most: 0 };
    e.cols.push(c);
    e.most = Math.min(p.services[s]!.replicas, e.most + ub[s]!.get(d)!);
    out.set(a, e);
  }
  return out;
}

export function calls(
  p: Problem,
  m: Milp,
  col: Col,
  countCol: Map<number, number>[],
  ub: Map<number, number>[],
): void {
  let tree: TreeEdge[] | undefined | null = null;
  const treeCache = new Map<string, number[]>();
  const presence = new Map<string, number>();
  const present = (s: number, a: number, site: { cols: number[]; most: number }) => {
    const key = `${s}:${a}`;
    let c = presence.get(key);
    if (c === undefined) {
      c = col(0, 0, 1, true, (ctx) => (ctx.siteCount(s, a) > 0 ? 1 : 0));
      presence.set(key, c);
      m.row(
        [...site.cols.map((x) => [x, 1] as [number, number]), [c, -site.most]],
        Number.NEGATIVE_INFINITY,
        0,
      );
    }
    return c;
  };
  const unary = new Map<string, number[]>();
  const atLeast = (t: number, b: number, site: { cols: number[]; most: number }) => {
    const key = `${t}:${b}`;
    let g = unary.get(key);
    if (!g) {
      g = [];
      for (let k = 1; k <= site.most; k++)
        g.push(col(0, 0, 1, true, (ctx) => (ctx.siteCount(t, b) >= k ? 1 : 0)));
      m.row(
        [...g.map((x) => [x, 1] as [number, number]), ...site.cols.map((x) => [x, -1] as [number, number])],
        0,
        0,
      );
      for (let k = 0; k + 1 < g.length; k++)
        m.row(
          [
            [g[k]!, 1],
            [g[k + 1]!, -1],
          ],
          0,
          Number.POSITIVE_INFINITY,
        );
      unary.set(key, g);
    }
    return g;
  };
  for (const sm of p.services) {
    const s = sm.index;
    for (const e of sm.edges) {
      if (!e.outgoing) continue;
      const t = e.partner;
      const mine = sitesOf(p, countCol, ub, s);
      const theirs = sitesOf(p, countCol, ub, t);
      // expand the side with fewer replicas; the other enters as its site count
      const expandCallee = p.services[t]!.replicas <= sm.replicas;
      const allowed: [number, number, number][] = []; // (a, b, ms) within the limit
      for (const [a, sa] of mine)
        for (const [b, sb] of theirs) {
          const ms = p.latMs[a * p.siteCount + b]!;
          if (ms !== Number.POSITIVE_INFINITY && ms <= e.maxLatencyMs + EPS) allowed.push([a, b, ms]);
          else
            m.row(
              [
                [present(s, a, sa), 1],
                [present(t, b, sb), 1],
              ],
              Number.NEGATIVE_INFINITY,
              1,
            );
        }
      if (p.alpha.latencyMs <= 0 || !allowed.some(([, , ms]) => ms > 0)) continue;
      if (tree === null) tree = latencyTree(p.latMs, p.siteCount);
      if (tree) {
        treeLatency(p, m, col, tree, treeCache, [s, mine], [t, theirs], p.alpha.latencyMs * e.pairWeight);
        continue;
      }
      // W[a,b] = Y[o,a]·Y[x,b] = Σ_k v[a,b,k] for every allowed pair; its marginals are known exactly
      // (Σ_b W[a,b] = replicas_x·Y[o,a]), which makes the LP relaxation a transport bound
      const [o, x] = expandCallee ? [s, t] : [t, s];
      const oSites = expandCallee ? mine : theirs;
      const xSites = expandCallee ? theirs : mine;
      const byO = new Map<number, number[]>();
      const byX = new Map<number, number[]>();
      for (const [sa, sb, ms] of allowed) {
        const [oa, xb] = expandCallee ? [sa, sb] : [sb, sa];
        const other = oSites.get(oa)!;
        const g = atLeast(x, xb, xSites.get(xb)!);
        const price = p.alpha.latencyMs * e.pairWeight * ms;
        for (const [k, gk] of g.entries()) {
          const v = col(price, 0, Number.POSITIVE_INFINITY, false, (ctx) =>
            ctx.siteCount(x, xb) > k ? ctx.siteCount(o, oa) : 0,
          );
          m.row(
            [[v, 1], ...other.cols.map((c) => [c, -1] as [number, number]), [gk, -other.most]],
            -other.most,
            Number.POSITIVE_INFINITY,
          );
          byO.set(oa, [...(byO.get(oa) ?? []), v]);
          byX.set(xb, [...(byX.get(xb) ?? []), v]);
        }
      }
      const marginal = (vs: number[], cols: number[], times: number) =>
        m.row(
          [...vs.map((v) => [v, 1] as [number, number]), ...cols.map((c) => [c, -times] as [number, number])],
          0,
          0,
        );
      for (const [oa, site] of oSites) marginal(byO.get(oa) ?? [], site.cols, p.services[x]!.replicas);
      for (const [xb, site] of xSites) marginal(byX.get(xb) ?? [], site.cols, p.services[o]!.replicas);
    }
  }
}

/** The sites of one service on one side of a tree edge: their count columns and the most they hold. */
function side(p: Problem, s: number, sites: Map<number, Site>, e: TreeEdge, below: boolean) {
  const cols: number[] = [];
  const at: number[] = [];
  let most = 0;
  for (const [a, site] of sites)
    if ((e.below[a] === 1) === below) {
      cols.push(...site.cols);
      at.push(a);
      most += site.most;
    }
  return { cols, at, most: Math.min(p.services[s]!.replicas, most) };
}

/** The latency of call s → t on a latency tree: one term per edge (see the header). */
function treeLatency(
  p: Problem,
  m: Milp,
  col: Col,
  tree: TreeEdge[],
  cache: Map<string, number[]>,
  [s, mine]: [number, Map<number, Site>],
  [t, theirs]: [number, Map<number, Site>],
  price: number,
): void {
  for (const [index, e] of tree.entries()) {
    const w = price * e.ms;
    if (w <= 0) continue;
    // the shortest unary expansion: either service, either side of the edge
    let pick: { o: number; x: number; below: boolean; length: number } | undefined;
    for (const [o, x] of [
      [s, t],
      [t, s],
    ] as const)
      for (const below of [true, false]) {
        const length = side(p, o, o === s ? mine : theirs, e, below).most;
        if (!pick || length < pick.length) pick = { o, x, below, length };
      }
    const { o, x, below } = pick!;
    const X = side(p, o, o === s ? mine : theirs, e, below);
    const Z = side(p, x, x === s ? mine : theirs, e, below);
    const no = p.services[o]!.replicas;
    const nx = p.services[x]!.replicas;
    // ms_e·(n_x·X + n_o·Z − 2·X·Z): the pairs the edge separates
    for (const c of X.cols) m.cols.cost[c]! += w * nx;
    for (const c of Z.cols) m.cols.cost[c]! += w * no;
    if (X.most === 0 || Z.most === 0) continue;
    const countOn = (svc: number, at: number[], ctx: WarmContext) =>
      at.reduce((sum, a) => sum + ctx.siteCount(svc, a), 0);
    const key = `${o}:${index}:${below}`;
    let H = cache.get(key);
    if (!H) {
      H = [];
      for (let k = 1; k <= X.most; k++)
        H.push(col(0, 0, 1, true, (ctx) => (countOn(o, X.at, ctx) >= k ? 1 : 0)));
      m.row(
        [...H.map((h) => [h, 1] as [number, number]), ...X.cols.map((c) => [c, -1] as [number, number])],
        0,
        0,
      );
      for (let k = 0; k + 1 < H.length; k++)
        m.row(
          [
            [H[k]!, 1],
            [H[k + 1]!, -1],
          ],
          0,
          Number.POSITIVE_INFINITY,
        );
      cache.set(key, H);
    }
    for (const [k, h] of H.entries()) {
      const q = col(-2 * w, 0, Z.most, false, (ctx) =>
        countOn(o, X.at, ctx) > k ? countOn(x, Z.at, ctx) : 0,
      );
      m.row([[q, 1], ...Z.cols.map((c) => [c, -1] as [number, number])], Number.NEGATIVE_INFINITY, 0);
      m.row(
        [
          [q, 1],
          [h, -Z.most],
        ],
        Number.NEGATIVE_INFINITY,
        0,
      );
    }
  }
}
