/**
 * A real OpenTelemetry SDK meter provider for the metrics tests: an in-memory exporter behind a
 * periodic reader (flushed on demand), and a reader of one metric's data points by attributes.
 */
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

/** A meter provider whose metrics the test reads with `collect()`. */
export interface OtelHarness {
  provider: MeterProvider;
  /** Flushes and returns every metric exported so far (cumulative: the latest export). */
  collect(): Promise<MetricData[]>;
  /** The sum (counter) or count (histogram) of `name` over points whose attributes include `attrs`. */
  value(name: string, attrs?: Record<string, string>): Promise<number>;
  /** Every attribute set of every point of every metric (to look for what must never be there). */
  attributes(): Promise<Record<string, unknown>[]>;
  shutdown(): Promise<void>;
}

export function otelHarness(): OtelHarness {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics));
  };
  const matches = (p: DataPoint<unknown>, attrs: Record<string, string>) =>
    Object.entries(attrs).every(([k, v]) => p.attributes[k] === v);
  return {
    provider,
    collect,
    async value(name, attrs = {}) {
      const metric = (await collect()).find((m) => m.descriptor.name === name);
      if (metric === undefined) return 0;
      let total = 0;
      for (const p of metric.dataPoints as DataPoint<unknown>[]) {
        if (!matches(p, attrs)) continue;
        const v = p.value;
        total += typeof v === 'number' ? v : (v as Histogram).count;
      }
      return total;
    },
    async attributes() {
      return (await collect()).flatMap((m) =>
        (m.dataPoints as DataPoint<unknown>[]).map((p) => ({ ...p.attributes })),
      );
    },
    shutdown: () => provider.shutdown(),
  };
}
