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
  add(value: number, attributes?: MetricAttributes): void;
}

/** A counter that goes up and down (`UpDownCounter` of `@opentelemetry/api`). */
export interface UpDownCounterLike {
  add(value: number, attributes?: MetricAttributes): void;
}

/** A histogram (`Histogram` of `@opentelemetry/api`). */
export interface HistogramLike {
  record(value: number, attributes?: MetricAttributes): void;
}

/** What an observable callback reports into. */
export interface ObservableResultLike {
  observe(value: number, attributes?: MetricAttributes): void;
}

/** An asynchronous instrument (`ObservableCounter` of `@opentelemetry/api`). */
export interface ObservableLike {
  addCallback(callback: (result: ObservableResultLike) => void): void;
  removeCallback(callback: (result: ObservableResultLike) => void): void;
}

/** Options of an instrument (`MetricOptions` of `@opentelemetry/api`). */
export interface InstrumentOptionsLike {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** A `Meter` of `@opentelemetry/api`. */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptionsLike): CounterLike;
  createUpDownCounter(name: string, options?: InstrumentOptionsLike): UpDownCounterLike;
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike;
  createObservableCounter(name: string, options?: InstrumentOptionsLike): ObservableLike;
}

/** A `MeterProvider` of `@opentelemetry/api` (e.g. the SDK's `MeterProvider`). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}
