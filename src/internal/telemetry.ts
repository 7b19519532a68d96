/**
 * `createTelemetry`: the instruments keywarden records into, through the OpenTelemetry metrics
 * API (structural types in ports/metrics.ts; no `@opentelemetry/api` import). Without a meter every
 * method is a no-op and `enabled` is false, so the hot path skips even its clock reads.
 *
 * Names follow the OpenTelemetry and Prometheus conventions: counters export as `*_total`,
 * durations are histograms in seconds whose names end in `.seconds` (`*_seconds` in Prometheus).
 * Every attribute value comes from a small fixed set (outcome codes, record kinds, operation
 * names, operator-defined tool ids); never a record id, token, tenant id or IP. Attribute objects
 * are built once per value and reused, so a measurement allocates nothing.
 *
 * Portable: no node:*.
 * @internal
 * @module
 */
import type { KeywardenError } from '../errors.js';
import type {
  CounterLike,
  HistogramLike,
  MeterLike,
  MetricAttributes,
  ObservableResultLike,
  UpDownCounterLike,
} from '../ports/metrics.js';

/** Histogram bounds (seconds) for in-process operations: 50 µs to 5 s. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]);

/** The instrument names (OpenTelemetry form; Prometheus replaces `.` with `_` and adds `_total`). */
export const METRIC_NAMES = Object.freeze({
  verify: 'keywarden.verify',
  verifyDuration: 'keywarden.verify.duration.seconds',
  secretRead: 'keywarden.secret.read',
  secretReadDuration: 'keywarden.secret.read.duration.seconds',
  rotations: 'keywarden.rotations',
  auditWrites: 'keywarden.audit.writes',
  storageErrors: 'keywarden.storage.errors',
  kmsErrors: 'keywarden.kms.errors',
  cacheRequests: 'keywarden.cache.requests',
  gatewayRequests: 'keywarden.gateway.requests',
  accessRequests: 'keywarden.access.requests',
  activeSessions: 'keywarden.access.sessions.active',
  securityEvents: 'keywarden.security.events',
});

/** Hit and miss counts of a cache (what `cachedStorage().stats()` returns). */
export interface CacheCounts {
  hits: number;
  misses: number;
}

/** What keywarden records. Every method is cheap and never throws. */
export interface Telemetry {
  /** False when no meter is configured: callers skip their clock reads. */
  readonly enabled: boolean;
  /** Settles once the meter is known (the global provider is loaded lazily); never rejects. */
  readonly loaded?: Promise<void>;
  /** A monotonic time in seconds (for durations); 0 when disabled. */
  now(): number;
  /** One verification with its outcome code (`VALID`, `NOT_FOUND`..., `ERROR` when it threw). */
  verify(code: string, seconds: number): void;
  /** One secret read (`source`: `secrets` for `km.secrets.get`, `access` for a tool call). */
  secretRead(outcome: 'ok' | 'error', source: 'secrets' | 'access', seconds: number): void;
  /** One rotation of a record kind, `success` or `failure`. */
  rotation(kind: string, outcome: 'success' | 'failure'): void;
  /** One audit append of `events` rows, `ok` or `failed`. */
  auditWrite(outcome: 'ok' | 'failed', events: number): void;
  /** A storage operation that failed (not ERR_CONFLICT / ERR_NOT_FOUND / ERR_ALREADY_EXISTS). */
  storageError(operation: string): void;
  /** A KMS operation that failed. */
  kmsError(operation: 'wrap' | 'unwrap' | 'init'): void;
  /** One request through the access gateway. */
  gatewayRequest(tool: string, outcome: string): void;
  /** One access request reaching a state (`requested`, `approved`, `denied`, `cancelled`, `expired`). */
  accessRequest(decision: string): void;
  /** Sessions opened (+1) or ended (-1). */
  sessions(delta: number): void;
  /** One `security.*` event raised (by rule name). */
  securityEvent(rule: string): void;
  /** Reports `counts()` as `keywarden.cache.requests{result=hit|miss}` at each collection. */
  observeCache(counts: () => CacheCounts): void;
  /** Removes the observable callbacks (on `close()`). */
  close(): void;
}

const noop = (): void => undefined;

/** The telemetry of a manager without metrics: every method does nothing. */
export const NOOP_TELEMETRY: Telemetry = Object.freeze({
  enabled: false,
  now: () => 0,
  verify: noop,
  secretRead: noop,
  rotation: noop,
  auditWrite: noop,
  storageError: noop,
  kmsError: noop,
  gatewayRequest: noop,
  accessRequest: noop,
  sessions: noop,
  securityEvent: noop,
  observeCache: noop,
  close: noop,
});

/** Frozen attribute objects, built once per value (bounded: `max` distinct values, then `other`). */
function attributeCache(name: string, max = 256): (value: string) => MetricAttributes {
  const cache = new Map<string, MetricAttributes>();
  const other = Object.freeze({ [name]: 'other' });
  return (value) => {
    let a = cache.get(value);
    if (a === undefined) {
      if (cache.size >= max) return other;
      a = Object.freeze({ [name]: value });
      cache.set(value, a);
    }
    return a;
  };
}

/** Two-attribute objects, built once per pair (bounded like {@link attributeCache}). */
function pairCache(a: string, b: string, max = 1024): (x: string, y: string) => MetricAttributes {
  const cache = new Map<string, MetricAttributes>();
  const other = Object.freeze({ [a]: 'other', [b]: 'other' });
  return (x, y) => {
    const k = `${x}\u0000${y}`;
    let attrs = cache.get(k);
    if (attrs === undefined) {
      if (cache.size >= max) return other;
      attrs = Object.freeze({ [a]: x, [b]: y });
      cache.set(k, attrs);
    }
    return attrs;
  };
}

const monotonicSeconds: () => number =
  typeof globalThis.performance?.now === 'function'
    ? () => globalThis.performance.now() / 1000
    : () => Date.now() / 1000;

/**
 * Creates the instruments on `meter`.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * const t = createTelemetry(metrics.getMeter('keywarden'));
 * const start = t.now();
 * t.verify('VALID', t.now() - start);
 * ```
 * @throws never (a meter whose methods throw gives the no-op telemetry)
 */
export function createTelemetry(meter: MeterLike): Telemetry {
  /** Removes the observable callbacks (on close). */
  const observers: Array<() => void> = [];
  /** Verifications per outcome code (at most the handful of codes verify returns). */
  const verifies = new Map<string, number>();
  const codeAttrs = attributeCache('code');
  const reportVerifies = (result: ObservableResultLike): void => {
    for (const [c, n] of verifies) result.observe(n, codeAttrs(c));
  };
  const histogram = (name: string, description: string): HistogramLike =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
    });
  const counter = (name: string, description: string): CounterLike =>
    meter.createCounter(name, { description });
  let verifyDuration: HistogramLike;
  let readCount: CounterLike;
  let readDuration: HistogramLike;
  let rotations: CounterLike;
  let auditWrites: CounterLike;
  let storageErrors: CounterLike;
  let kmsErrors: CounterLike;
  let gateway: CounterLike;
  let access: CounterLike;
  let security: CounterLike;
  let sessions: UpDownCounterLike;
  try {
    // the verify count is kept in plain integers here and reported at collection (an observable
    // counter): the hot path does one SDK call (the histogram), not two
    const verifyCount = meter.createObservableCounter(METRIC_NAMES.verify, {
      description: 'API key verifications by outcome code',
    });
    verifyCount.addCallback(reportVerifies);
    observers.push(() => verifyCount.removeCallback(reportVerifies));
    verifyDuration = histogram(METRIC_NAMES.verifyDuration, 'Duration of API key verifications');
    readCount = counter(METRIC_NAMES.secretRead, 'Secret reads by outcome and source');
    readDuration = histogram(METRIC_NAMES.secretReadDuration, 'Duration of secret reads');
    rotations = counter(METRIC_NAMES.rotations, 'Rotations by record kind and outcome');
    auditWrites = counter(METRIC_NAMES.auditWrites, 'Audit events written (outcome ok) or refused (failed)');
    storageErrors = counter(METRIC_NAMES.storageErrors, 'Failed storage operations by operation');
    kmsErrors = counter(METRIC_NAMES.kmsErrors, 'Failed KMS operations by operation');
    gateway = counter(METRIC_NAMES.gatewayRequests, 'Access gateway requests by tool and outcome');
    access = counter(METRIC_NAMES.accessRequests, 'Access requests by decision');
    security = counter(METRIC_NAMES.securityEvents, 'Security monitor events by rule');
    sessions = meter.createUpDownCounter(METRIC_NAMES.activeSessions, {
      description: 'Access sessions opened minus ended, as seen by this process',
    });
  } catch {
    return NOOP_TELEMETRY;
  }
  const NONE: MetricAttributes = Object.freeze({});
  const readAttrs = pairCache('outcome', 'source');
  const kindOutcome = pairCache('kind', 'outcome');
  const outcome = attributeCache('outcome');
  const operation = attributeCache('operation');
  const toolOutcome = pairCache('tool', 'outcome');
  const decision = attributeCache('decision');
  const rule = attributeCache('rule');
  const HIT = Object.freeze({ result: 'hit' });
  const MISS = Object.freeze({ result: 'miss' });
  const safe =
    <A extends unknown[]>(f: (...args: A) => void) =>
    (...args: A): void => {
      try {
        f(...args);
      } catch {
        // a metrics backend never fails an operation
      }
    };

  return Object.freeze({
    enabled: true,
    now: monotonicSeconds,
    verify: (c: string, seconds: number) => {
      verifies.set(c, (verifies.get(c) ?? 0) + 1);
      try {
        verifyDuration.record(seconds, NONE);
      } catch {
        // a metrics backend never fails an operation
      }
    },
    secretRead: safe((o: 'ok' | 'error', source: 'secrets' | 'access', seconds: number) => {
      const a = readAttrs(o, source);
      readCount.add(1, a);
      readDuration.record(seconds, a);
    }),
    rotation: safe((kind: string, o: 'success' | 'failure') => rotations.add(1, kindOutcome(kind, o))),
    auditWrite: safe((o: 'ok' | 'failed', events: number) => auditWrites.add(events, outcome(o))),
    storageError: safe((op: string) => storageErrors.add(1, operation(op))),
    kmsError: safe((op: 'wrap' | 'unwrap' | 'init') => kmsErrors.add(1, operation(op))),
    gatewayRequest: safe((tool: string, o: string) => gateway.add(1, toolOutcome(tool, o))),
    accessRequest: safe((d: string) => access.add(1, decision(d))),
    sessions: safe((delta: number) => sessions.add(delta)),
    securityEvent: safe((r: string) => security.add(1, rule(r))),
    observeCache: safe((counts: () => CacheCounts) => {
      const instrument = meter.createObservableCounter(METRIC_NAMES.cacheRequests, {
        description: 'Record cache lookups by result (hit ratio = hit / (hit + miss))',
      });
      const callback = (result: ObservableResultLike): void => {
        const c = counts();
        result.observe(c.hits, HIT);
        result.observe(c.misses, MISS);
      };
      instrument.addCallback(callback);
      observers.push(() => instrument.removeCallback(callback));
    }),
    close: safe(() => {
      for (const remove of observers.splice(0)) remove();
    }),
  });
}

/** The storage error codes that are outcomes, not failures (not counted as storage errors). */
export function isStorageFailure(error: unknown): boolean {
  const c = (error as Partial<KeywardenError> | null)?.code;
  return c !== 'ERR_CONFLICT' && c !== 'ERR_NOT_FOUND' && c !== 'ERR_ALREADY_EXISTS';
}
