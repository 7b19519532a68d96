/**
 * The parts of the OpenTelemetry metrics API keywarden uses, typed structurally so that the core
 * needs no `@opentelemetry/api` import: a `Meter` or `MeterProvider` of `@opentelemetry/api`
 * (any 1.x) fits them. Types only.
 * @module
 */

/** Low-cardinality attributes of one measurement (never an id, token, tenant or IP). */
export type MetricAttributes = Readonly<Record<string, string>>;

/** A monotonic counter (`Counter` of `@opentelemetry/api`). */
export interface CounterLike {
  /** Adds `value` (≥ 0) to the counter for these attributes. */
  add(value: number, attributes?: MetricAttributes): void;
}

/** A counter that goes up and down (`UpDownCounter` of `@opentelemetry/api`). */
export interface UpDownCounterLike {
  /** Adds `value` (negative to decrease) for these attributes. */
  add(value: number, attributes?: MetricAttributes): void;
}

/** A histogram (`Histogram` of `@opentelemetry/api`). */
export interface HistogramLike {
  /** Records one measurement (keywarden's durations are in seconds). */
  record(value: number, attributes?: MetricAttributes): void;
}

/** What an observable callback reports into. */
export interface ObservableResultLike {
  /** Reports the instrument's current value for these attributes. */
  observe(value: number, attributes?: MetricAttributes): void;
}

/** An asynchronous instrument (`ObservableCounter` of `@opentelemetry/api`). */
export interface ObservableLike {
  /** Registers a callback the SDK calls at each collection to observe the value. */
  addCallback(callback: (result: ObservableResultLike) => void): void;
  /** Unregisters a callback given to `addCallback` (keywarden does it when its telemetry is closed). */
  removeCallback(callback: (result: ObservableResultLike) => void): void;
}

/** Options of an instrument (`MetricOptions` of `@opentelemetry/api`). */
export interface InstrumentOptionsLike {
  /** What the instrument measures, for humans. */
  description?: string;
  /** UCUM unit (keywarden gives `'s'` for its duration histograms). */
  unit?: string;
  /** Hints to the SDK's default aggregation. */
  advice?: {
    /** Histogram bucket boundaries to use instead of the SDK's defaults. */
    explicitBucketBoundaries?: number[];
  };
}

/** A `Meter` of `@opentelemetry/api`. */
export interface MeterLike {
  /** Creates a monotonic counter named `name` (e.g. `keywarden.rotations`). */
  createCounter(name: string, options?: InstrumentOptionsLike): CounterLike;
  /** Creates a counter that may go down. */
  createUpDownCounter(name: string, options?: InstrumentOptionsLike): UpDownCounterLike;
  /** Creates a histogram. */
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike;
  /** Creates a counter whose value is read by a callback at collection time. */
  createObservableCounter(name: string, options?: InstrumentOptionsLike): ObservableLike;
}

/** A `MeterProvider` of `@opentelemetry/api` (e.g. the SDK's `MeterProvider`). */
export interface MeterProviderLike {
  /** The meter of instrumentation scope `name` (keywarden asks for `'keywarden'`) and `version`. */
  getMeter(name: string, version?: string): MeterLike;
}
