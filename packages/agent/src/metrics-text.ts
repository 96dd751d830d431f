// A minimal Prometheus text exposition (format 0.0.4) for the agent's few counters and gauges, written to the
// output of prom-client 15's Registry.metrics() byte for byte (metrics-text.test.ts compares the two). The
// library costs ~1.2 MB of RSS in the agent's 60 MB budget; the agent needs none of its histograms,
// summaries, default collectors, exemplars or OpenMetrics output.

type Labels = Record<string, string>;

interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers?: Registry[];
  /** called before each exposition, with the metric as `this` */
  collect?: (this: Gauge) => void;
}

interface Value {
  labels: Labels;
  value: number;
}

abstract class Metric {
  abstract readonly type: "counter" | "gauge";
  readonly name: string;
  readonly help: string;
  private readonly labelled: boolean;
  /** by label set, in first-use order (as prom-client's hash map) */
  protected values = new Map<string, Value>();

  constructor(options: MetricOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelled = (options.labelNames?.length ?? 0) > 0;
    this.reset();
    for (const r of options.registers ?? []) r.register(this);
  }

  /** Forgets every label set; an unlabelled metric goes back to 0. */
  reset(): void {
    this.values = new Map();
    if (!this.labelled) this.values.set("", { labels: {}, value: 0 });
  }

  protected add(labels: Labels | number | undefined, amount: number | undefined, sign: 1 | -1): void {
    const [set, by] = typeof labels === "object" ? [labels, amount ?? 1] : [{}, labels ?? 1];
    if (!Number.isFinite(by)) throw new TypeError(`Value is not a valid number: ${by}`);
    this.entry(set).value += sign * by;
  }

  protected entry(labels: Labels): Value {
    const key = Object.keys(labels)
      .sort()
      .map((k) => `${k}:${labels[k]}`)
      .join(",");
    let v = this.values.get(key);
    if (!v) {
      v = { labels: { ...labels }, value: 0 };
      this.values.set(key, v);
    }
    return v;
  }

  /** This metric's block of the exposition. */
  expose(): string {
    const name = escapeText(this.name);
    const lines = [`# HELP ${name} ${escapeText(this.help)}`, `# TYPE ${name} ${this.type}`];
    for (const { labels, value } of this.values.values()) {
      const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeText(v).replace(/"/g, '\\"')}"`);
      lines.push(`${name}${parts.length ? `{${parts.join(",")}}` : ""} ${formatValue(value)}`);
    }
    return lines.join("\n");
  }
}

export class Counter extends Metric {
  readonly type = "counter";

  inc(labels?: Labels | number, amount?: number): void {
    const by = typeof labels === "object" ? (amount ?? 1) : (labels ?? 1);
    if (by < 0) throw new Error("It is not possible to decrease a counter");
    this.add(labels, amount, 1);
  }
}

export class Gauge extends Metric {
  readonly type = "gauge";
  private readonly collect?: (this: Gauge) => void;

  constructor(options: MetricOptions) {
    super(options);
    this.collect = options.collect;
  }

  set(labels: Labels | number, value?: number): void {
    const [set, v] = typeof labels === "object" ? [labels, value] : [{}, labels];
    if (typeof v !== "number") throw new TypeError(`Value is not a valid number: ${v}`);
    this.entry(set).value = v;
  }

  inc(labels?: Labels | number, amount?: number): void {
    this.add(labels, amount, 1);
  }

  override expose(): string {
    this.collect?.call(this);
    return super.expose();
  }
}

export class Registry {
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  private readonly metrics_ = new Map<string, Metric>();

  register(metric: Metric): void {
    if (this.metrics_.has(metric.name))
      throw new Error(`A metric with the name ${metric.name} has already been registered.`);
    this.metrics_.set(metric.name, metric);
  }

  /** The exposition of every registered metric, in registration order. */
  async metrics(): Promise<string> {
    return `${[...this.metrics_.values()].map((m) => m.expose()).join("\n\n")}\n`;
  }
}

function escapeText(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "Nan";
  if (!Number.isFinite(v)) return v < 0 ? "-Inf" : "+Inf";
  return `${v}`;
}
