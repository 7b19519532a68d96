/**
 * The `metrics` option of `createKeyManager`: which OpenTelemetry meter keywarden records into.
 *
 * - absent or `false`: no metrics (every instrument a no-op; nothing is imported);
 * - `{ meterProvider }`: `meterProvider.getMeter('keywarden')` (e.g. the SDK's `MeterProvider`);
 * - `{ meter }`: that meter as it is;
 * - `true` or `{}`: the global provider of `@opentelemetry/api` (an optional peer dependency),
 *   loaded with a dynamic `import()` on first use; until it loads, and when it is not installed,
 *   nothing is recorded.
 *
 * Portable: no node:*; no static import of `@opentelemetry/api`.
 * @internal
 * @module
 */
import { type CacheCounts, createTelemetry, NOOP_TELEMETRY, type Telemetry } from '../internal/telemetry.js';
import type { MeterLike, MeterProviderLike } from '../ports/metrics.js';

/** The `metrics` option of `createKeyManager`. */
export type MetricsOption =
  | boolean
  | { meterProvider?: MeterProviderLike | undefined; meter?: MeterLike | undefined };

/** The instrumentation scope name of keywarden's meter. */
export const METER_NAME = 'keywarden';

/** Kept in a variable so bundlers do not try to resolve the optional peer at build time. */
const OTEL_API = '@opentelemetry/api';

/** Loads the global meter provider of `@opentelemetry/api`, or null when it is not installed. */
async function globalMeter(): Promise<MeterLike | null> {
  try {
    const api = (await import(/* @vite-ignore */ /* webpackIgnore: true */ OTEL_API)) as {
      metrics?: { getMeterProvider?: () => MeterProviderLike };
    };
    return api.metrics?.getMeterProvider?.().getMeter(METER_NAME) ?? null;
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
 * const t = resolveMetrics({ meterProvider }); // t.enabled === true
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
