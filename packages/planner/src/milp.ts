// A mixed-integer linear program as plain arrays: columns (cost, bounds, integrality), rows in compressed
// sparse row form, and a constant objective offset. The formulation (formulation.ts) fills it; HiGHS takes it
// as ModelData (exact.ts); `toMps` writes it for any other solver (CBC, GLPK) to check an optimum.

export interface MilpColumns {
  cost: number[];
  lower: number[];
  upper: number[];
  integer: boolean[];
}

export class Milp {
  readonly cols: MilpColumns = { cost: [], lower: [], upper: [], integer: [] };
  readonly rowLower: number[] = [];
  readonly rowUpper: number[] = [];
  readonly starts: number[] = [0];
  readonly indices: number[] = [];
  readonly values: number[] = [];
  /** Constant added to the objective. */
  offset = 0;

  get colCount(): number {
    return this.cols.cost.length;
  }

  get rowCount(): number {
    return this.rowLower.length;
  }

  /** Adds a column; returns its index. */
  col(cost: number, lower: number, upper: number, integer: boolean): number {
    this.cols.cost.push(cost);
    this.cols.lower.push(lower);
    this.cols.upper.push(upper);
    this.cols.integer.push(integer);
    return this.cols.cost.length - 1;
  }

  /** Adds `lower ≤ Σ coef·col ≤ upper` (duplicate columns merged, zeros dropped); empty rows are skipped
   * unless `keepEmpty` (an empty row that asks for something proves the model infeasible). */
  row(
    terms: ReadonlyArray<readonly [number, number]>,
    lower: number,
    upper: number,
    keepEmpty = false,
  ): void {
    const merged = new Map<number, number>();
    for (const [c, v] of terms) merged.set(c, (merged.get(c) ?? 0) + v);
    let n = 0;
    for (const [c, v] of merged) {
      if (v === 0) continue;
      this.indices.push(c);
      this.values.push(v);
      n++;
    }
    if (n === 0 && !keepEmpty) return;
    this.rowLower.push(lower);
    this.rowUpper.push(upper);
    this.starts.push(this.indices.length);
  }

  /** The objective of column values `x`. */
  objective(x: ArrayLike<number>): number {
    let sum = this.offset;
    for (let c = 0; c < this.colCount; c++) sum += this.cols.cost[c]! * x[c]!;
    return sum;
  }

  /** Largest violation of a row or bound by `x` (0 when feasible). */
  violation(x: ArrayLike<number>): number {
    let worst = 0;
    for (let c = 0; c < this.colCount; c++)
      worst = Math.max(worst, this.cols.lower[c]! - x[c]!, x[c]! - this.cols.upper[c]!);
    for (let r = 0; r < this.rowCount; r++) {
      let a = 0;
      for (let k = this.starts[r]!; k < this.starts[r + 1]!; k++) a += this.values[k]! * x[this.indices[k]!]!;
      worst = Math.max(worst, this.rowLower[r]! - a, a - this.rowUpper[r]!);
    }
    return worst;
  }

  /**
   * Free-format MPS (names c0…, r0…, objective row `obj`; integer columns between MARKER lines with explicit
   * bounds). The offset goes in as the objective row's RHS with the opposite sign, as CPLEX and HiGHS read it.
   */
  toMps(name = "qonnect"): string {
    const out: string[] = [`NAME ${name}`, "ROWS", " N obj"];
    const sense: string[] = [];
    const rhs: number[] = [];
    const ranges: number[] = [];
    for (let r = 0; r < this.rowCount; r++) {
      const lo = this.rowLower[r]!;
      const up = this.rowUpper[r]!;
      const [kind, value] = lo === up ? ["E", lo] : lo === Number.NEGATIVE_INFINITY ? ["L", up] : ["G", lo];
      sense[r] = kind;
      rhs[r] = value;
      if (kind === "G" && up !== Number.POSITIVE_INFINITY && lo !== up) ranges[r] = up - lo;
      out.push(` ${sense[r]} r${r}`);
    }
    // column-wise entries
    const byCol: [number, number][][] = Array.from({ length: this.colCount }, () => []);
    for (let r = 0; r < this.rowCount; r++)
      for (let k = this.starts[r]!; k < this.starts[r + 1]!; k++)
        byCol[this.indices[k]!]!.push([r, this.values[k]!]);
    out.push("COLUMNS");
    let inInt = false;
    let marker = 0;
    for (let c = 0; c < this.colCount; c++) {
      const int = this.cols.integer[c]!;
      if (int !== inInt) {
        out.push(`    M${marker++} 'MARKER' '${int ? "INTORG" : "INTEND"}'`);
        inInt = int;
      }
      const cost = this.cols.cost[c]!;
      out.push(`    c${c} obj ${fmt(cost)}`);
      for (const [r, v] of byCol[c]!) out.push(`    c${c} r${r} ${fmt(v)}`);
    }
    if (inInt) out.push(`    M${marker++} 'MARKER' 'INTEND'`);
    out.push("RHS");
    if (this.offset !== 0) out.push(`    rhs obj ${fmt(-this.offset)}`);
    for (let r = 0; r < this.rowCount; r++) if (rhs[r] !== 0) out.push(`    rhs r${r} ${fmt(rhs[r]!)}`);
    if (ranges.some((v) => v !== undefined)) {
      out.push("RANGES");
      for (const [r, v] of ranges.entries()) if (v !== undefined) out.push(`    rng r${r} ${fmt(v)}`);
    }
    out.push("BOUNDS");
    for (let c = 0; c < this.colCount; c++) {
      const lo = this.cols.lower[c]!;
      const up = this.cols.upper[c]!;
      if (lo === up) {
        out.push(` FX bnd c${c} ${fmt(lo)}`);
        continue;
      }
      if (lo === Number.NEGATIVE_INFINITY) out.push(` MI bnd c${c}`);
      else if (lo !== 0) out.push(` LO bnd c${c} ${fmt(lo)}`);
      if (up !== Number.POSITIVE_INFINITY) out.push(` UP bnd c${c} ${fmt(up)}`);
      else if (this.cols.integer[c]) out.push(` PL bnd c${c}`);
    }
    out.push("ENDATA", "");
    return out.join("\n");
  }
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(15)));
}
