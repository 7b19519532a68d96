/**
 * The `metrics` option of `createKeyManager`: which OpenTelemetry meter keywarden records into.
 *
 * - absent or `false`: no metrics (every instrument a no-op; nothing is imported);
 * - `{ meterProvider }`: `meterProvider.getMeter('keywarden')` (e.g. the SDK's `MeterProvider`);
 * - `{ meter }`: that meter as it is;
 * - `true` or `{}`: the meter provider registered globally through `@opentelemetry/api` (an
 *   optional peer dependency), looked up once, a microtask after the manager is built, in the
 *   global registry the API itself keeps (`globalThis[Symbol.for('opentelemetry.js.api.1')]`,
 *   shared by every copy of API 1.x); when none is registered, nothing is recorded.
 *
 * Portable: no node:*, no import of `@opentelemetry/api` at all — not even a dynamic `import()`,
 * which Workers bundlers (wrangler, miniflare) refuse when its specifier is not a literal.
 * @internal
 * @module
 */
import { type CacheCounts, createTelemetry, NOOP_TELEMETRY, type Telemetry } from '../internal/telemetry.js';
import type { MeterLike, MeterProviderLike } from '../ports/metrics.js';

/** The `metrics` option of `createKeyManager`. */
export type MetricsOption =
  | boolean
  | {
      /** A meter provider: keywarden records into its meter `'keywarden'`. */
      meterProvider?: MeterProviderLike | undefined;
      /** A meter to record into as it is (wins over `meterProvider`). */
      meter?: MeterLike | undefined;
    };

/** The instrumentation scope name of keywarden's meter. */
export const METER_NAME = 'keywarden';

/** Where `@opentelemetry/api` 1.x keeps its globals (its `registerGlobal` / `getGlobal`). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** The meter of the globally registered meter provider, or null when none is registered. */
async function globalMeter(): Promise<MeterLike | null> {
  await Promise.resolve(); // registered after the manager was built, in the same tick, still counts
  try {
    const registry = (globalThis as Record<symbol, { metrics?: MeterProviderLike } | undefined>)[OTEL_GLOBAL];
    const provider = registry?.metrics;
    return provider !== undefined && typeof provider.getMeter === 'function'
      ? provider.getMeter(METER_NAME)
      : null;
  } catch {
    return null;
  }
}

/** A telemetry that forwards to `inner` once it is set (for the lazily loaded global meter). */
function deferredTelemetry(load: Promise<MeterLike | null>): Telemetry {
  let inner: Telemetry = NOOP_TELEMETRY;
  const caches: Array<() => CacheCounts> = [];
  let closed = false;
  const loaded = load.then((meter) => {
    if (meter === null || closed) return;
    inner = createTelemetry(meter);
    for (const c of caches) inner.observeCache(c);
  });
  return {
    loaded,
    get enabled() {
      return inner.enabled;
    },
    now: () => inner.now(),
    verify: (c, s) => inner.verify(c, s),
    secretRead: (o, src, s) => inner.secretRead(o, src, s),
    rotation: (k, o) => inner.rotation(k, o),
    auditWrite: (o, n) => inner.auditWrite(o, n),
    storageError: (op) => inner.storageError(op),
    kmsError: (op) => inner.kmsError(op),
    gatewayRequest: (t, o) => inner.gatewayRequest(t, o),
    accessRequest: (d) => inner.accessRequest(d),
    sessions: (d) => inner.sessions(d),
    securityEvent: (r) => inner.securityEvent(r),
    observeCache: (c) => {
      caches.push(c);
      inner.observeCache(c);
    },
    close: () => {
      closed = true;
      inner.close();
    },
  };
}

/**
 * The telemetry for a `metrics` option (validated by the manager's option schema).
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * const t = resolveMetrics({ meterProvider: metrics.getMeterProvider() }); // t.enabled === true
 * ```
 * @throws never
 */
export function resolveMetrics(option: MetricsOption | undefined): Telemetry {
  if (option === undefined || option === false) return NOOP_TELEMETRY;
  if (option === true) return deferredTelemetry(globalMeter());
  if (option.meter !== undefined) return createTelemetry(option.meter);
  if (option.meterProvider !== undefined) {
    try {
      return createTelemetry(option.meterProvider.getMeter(METER_NAME));
    } catch {
      return NOOP_TELEMETRY;
    }
  }
  return deferredTelemetry(globalMeter());
}
