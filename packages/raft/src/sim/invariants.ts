// The safety properties of Raft (Ongaro's Figure 3), checked as the simulation runs:
// - election safety: at most one leader per term;
// - log matching: two persisted entries with the same index and term hold the same data and follow the
//   same previous term (by induction, the logs are identical up to there);
// - leader completeness: a new leader's log holds every entry committed before it was elected;
// - state-machine safety: no two nodes apply different entries at the same index.
import type { Entry } from "../entry.js";

export interface Violation {
  seed: number;
  tick: number;
  kind:
    | "election-safety"
    | "log-matching"
    | "leader-completeness"
    | "state-machine-safety"
    | "liveness"
    | "linearizability"
    | "crash";
  detail: string;
}

function dataKey(e: Entry): string {
  return `${e.type}:${Buffer.from(e.data).toString("base64")}`;
}

export class SafetyChecker {
  private readonly leaders = new Map<number, number>();
  /** index → term → {prevTerm, data}. */
  private readonly persisted = new Map<number, Map<number, { prevTerm: number; data: string }>>();
  /** index → applied entry (term, data); committed entries seen so far. */
  private readonly applied = new Map<number, { term: number; data: string; by: number }>();
  readonly violations: Violation[] = [];
  elections = 0;

  constructor(
    private readonly seed: number,
    private readonly now: () => number,
  ) {}

  private fail(kind: Violation["kind"], detail: string): void {
    this.violations.push({ seed: this.seed, tick: this.now(), kind, detail });
  }

  /** A node is leader of `term`; `termAt` reads its log (0 when compacted), `firstIndex` its first entry. */
  leader(id: number, term: number, termAt: (i: number) => number, firstIndex: number): void {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, id);
      this.elections++;
      for (const [index, e] of this.applied) {
        if (index < firstIndex) continue; // covered by its snapshot, which state-machine safety vouches for
        const t = termAt(index);
        if (t !== e.term)
          this.fail(
            "leader-completeness",
            `node ${id} leads term ${term} without committed entry ${index} (term ${e.term}); it has term ${t}`,
          );
      }
    } else if (known !== id) {
      this.fail("election-safety", `nodes ${known} and ${id} both lead term ${term}`);
    }
  }

  /** Entries a node just made durable; `prevTerm(i)` is its term at i (undefined when compacted). */
  persistedEntries(id: number, entries: Entry[], prevTerm: (i: number) => number | undefined): void {
    for (const e of entries) {
      const pt = prevTerm(e.index - 1);
      if (pt === undefined) continue;
      let byTerm = this.persisted.get(e.index);
      if (!byTerm) {
        byTerm = new Map();
        this.persisted.set(e.index, byTerm);
      }
      const seen = byTerm.get(e.term);
      const data = dataKey(e);
      if (!seen) byTerm.set(e.term, { prevTerm: pt, data });
      else if (seen.prevTerm !== pt || seen.data !== data)
        this.fail(
          "log-matching",
          `node ${id} entry ${e.index}@${e.term} differs from another node's (prev term ${pt} vs ${seen.prevTerm})`,
        );
    }
  }

  appliedEntry(id: number, e: Entry): void {
    const seen = this.applied.get(e.index);
    const data = dataKey(e);
    if (!seen) this.applied.set(e.index, { term: e.term, data, by: id });
    else if (seen.term !== e.term || seen.data !== data)
      this.fail(
        "state-machine-safety",
        `node ${id} applied ${e.index}@${e.term} but node ${seen.by} applied ${e.index}@${seen.term} there`,
      );
  }

  liveness(detail: string): void {
    this.fail("liveness", detail);
  }

  linearizability(detail: string): void {
    this.fail("linearizability", detail);
  }

  crash(detail: string): void {
    this.fail("crash", detail);
  }

  committedCount(): number {
    return this.applied.size;
  }
}
