/**
 * A small Prometheus-format registry. Hot paths only add numbers; rendering happens on scrape.
 * @example
 * const requests = metrics.counter("hub_http_requests_total", "HTTP requests", ["route", "status"]);
 * requests.inc({ route: "/v1/inventory/:sku", status: "200" });
 */
type Labels = Record<string, string>;

interface Metric {
  render(): string;
}

const labelKey = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
    .join(",");

export class Counter implements Metric {
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.#values) lines.push(`${this.name}${k ? `{${k}}` : ""} ${v}`);
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  readonly #read: () => number | Array<[Labels, number]>;
  constructor(
    readonly name: string,
    readonly help: string,
    read: () => number | Array<[Labels, number]>,
  ) {
    this.#read = read;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const value = this.#read();
    if (typeof value === "number") lines.push(`${this.name} ${value}`);
    else for (const [labels, v] of value) lines.push(`${this.name}{${labelKey(labels)}} ${v}`);
    return lines.join("\n");
  }
}

export class Histogram implements Metric {
  readonly #buckets: number[];
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    buckets: number[],
  ) {
    this.#buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.#buckets.length; i++) if (value <= this.#buckets[i]!) series.counts[i]!++;
    series.sum += value;
    series.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.#series) {
      const sep = key ? `${key},` : "";
      this.#buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${key ? `{${key}}` : ""} ${s.sum}`);
      lines.push(`${this.name}_count${key ? `{${key}}` : ""} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();
  counter(name: string, help: string): Counter {
    return this.#register(name, () => new Counter(name, help));
  }
  gauge(name: string, help: string, read: () => number | Array<[Labels, number]>): Gauge {
    const gauge = new Gauge(name, help, read);
    this.#metrics.set(name, gauge);
    return gauge;
  }
  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.#register(name, () => new Histogram(name, help, buckets));
  }
  render(): string {
    return `${[...this.#metrics.values()].map((m) => m.render()).join("\n")}\n`;
  }
  #register<T extends Metric>(name: string, make: () => T): T {
    const existing = this.#metrics.get(name);
    if (existing) return existing as T;
    const metric = make();
    this.#metrics.set(name, metric);
    return metric;
  }
}
