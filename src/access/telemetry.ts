/**
 * The manager's metrics behind an `agentAccess` object, for the gateway (which is handed only the
 * access object). A WeakMap, so an access object keeps nothing alive. Not public API.
 * @internal
 * @module
 */
import type { CapabilityContext } from '../extension/index.js';

type Telemetry = NonNullable<CapabilityContext['telemetry']>;

const registry = new WeakMap<object, Telemetry>();

/**
 * Remembers the telemetry of `access` (called by `agentAccess`).
 * @example
 * ```ts
 * registerAccessTelemetry(access, ctx.telemetry);
 * ```
 * @throws never
 */
export function registerAccessTelemetry(access: object, telemetry: Telemetry | undefined): void {
  if (telemetry !== undefined) registry.set(access, telemetry);
}

/**
 * The telemetry of `access`, or undefined (an access object not made by `agentAccess`, or a
 * manager without metrics).
 * @example
 * ```ts
 * accessTelemetry(access)?.gatewayRequest('stripe', 'forwarded');
 * ```
 * @throws never
 */
export function accessTelemetry(access: object): Telemetry | undefined {
  return registry.get(access);
}
