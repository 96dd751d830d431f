// The latency between sites as a tree, when it is one: then the latency of a pair of sites is the sum of the
// tree edges on the path between them, so the mean latency over the pairs of two services' replicas splits
// into one term per tree edge that depends only on how many replicas of each service sit below the edge
// (formulation.ts). Detected from the latency matrix alone: the minimum spanning tree (forest) of the sites
// must reproduce every latency. Links given as a tree (the usual fog/edge topology) always pass.

export interface TreeEdge {
  /** One-way latency of the edge, ms. */
  ms: number;
  /** The sites on the child's side of the edge (1 = below it). */
  below: Uint8Array;
}

/** The tree whose path lengths are `latMs` (S × S, row-major), or undefined when the latencies are no tree. */
export function latencyTree(latMs: Float64Array, S: number): TreeEdge[] | undefined {
  const at = (a: number, b: number) => latMs[a * S + b]!;
  for (let a = 0; a < S; a++)
    for (let b = a + 1; b < S; b++) if (Math.abs(at(a, b) - at(b, a)) > 1e-9) return undefined;
  // Prim's algorithm per connected component (unreachable pairs are Infinity)
  const parent = new Int32Array(S).fill(-1);
  const inTree = new Uint8Array(S);
  const best = new Float64Array(S).fill(Number.POSITIVE_INFINITY);
  const order: number[] = [];
  for (let root = 0; root < S; root++) {
    if (inTree[root]) continue;
    best[root] = 0;
    for (;;) {
      let u = -1;
      for (let v = 0; v < S; v++)
        if (!inTree[v] && best[v]! < Number.POSITIVE_INFINITY && (u < 0 || best[v]! < best[u]!)) u = v;
      if (u < 0) break;
      inTree[u] = 1;
      order.push(u);
      for (let v = 0; v < S; v++)
        if (!inTree[v] && at(u, v) < best[v]!) {
          best[v] = at(u, v);
          parent[v] = u;
        }
    }
  }
  // distances along the tree must equal the matrix: depth from the component's root, then via the ancestors
  const depth = new Float64Array(S);
  for (const v of order) if (parent[v]! >= 0) depth[v] = depth[parent[v]!]! + at(v, parent[v]!);
  const ancestors = (v: number) => {
    const out: number[] = [];
    for (let x = v; x >= 0; x = parent[x]!) out.push(x);
    return out;
  };
  const tolerance = (ms: number) => 1e-9 * Math.max(1, ms);
  for (let a = 0; a < S; a++) {
    const up = new Set(ancestors(a));
    for (let b = a + 1; b < S; b++) {
      let lca = b;
      while (lca >= 0 && !up.has(lca)) lca = parent[lca]!;
      const want = at(a, b);
      if (lca < 0) {
        if (want !== Number.POSITIVE_INFINITY) return undefined;
        continue;
      }
      const path = depth[a]! + depth[b]! - 2 * depth[lca]!;
      if (Math.abs(path - want) > tolerance(want)) return undefined;
    }
  }
  const below = Array.from({ length: S }, () => new Uint8Array(S));
  for (let x = 0; x < S; x++) for (const y of ancestors(x)) below[y]![x] = 1;
  const edges: TreeEdge[] = [];
  for (const v of order) if (parent[v]! >= 0) edges.push({ ms: at(parent[v]!, v), below: below[v]! });
  return edges;
}
