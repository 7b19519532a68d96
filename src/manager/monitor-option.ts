/**
 * The `monitor` option of `createKeyManager`: which security monitor rules run, with their
 * thresholds (docs/observability.md). Validated by the manager's option schema, resolved here.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import type { Duration } from '../duration.js';
import { durationSchema } from '../records/schemas.js';
import type {
  MonitorAction,
  ResolvedCountRule,
  ResolvedMonitorOptions,
  SessionMonitorAction,
} from '../records/security-monitor.js';

/** A counting rule: `threshold` events within `window`, then an alert (and `action`). */
export interface CountRuleOption {
  /** Events within `window` that fire the rule (1 to 1,000,000; each rule has its own default). */
  threshold?: number;
  /** Counting window, 1 s to 1 day (default `'1m'`). */
  window?: Duration;
  /** What to do besides notifying: `'none'` (default) or `'disable'` the key. */
  action?: MonitorAction;
}

/**
 * The `violations` rule: `threshold` `access.violation` events of one proxy session within
 * `window`; `action: 'revoke'` then revokes the session (through `keywarden/access`: an
 * `agentAccess` object of the session's tenant must exist on this manager). Validated with the
 * manager's options: a bad value throws `ERR_VALIDATION` naming it (`monitor.violations.action`).
 * @example
 * ```ts
 * createKeyManager({ storage, kms, monitor: { violations: { threshold: 5, window: '1m', action: 'revoke' } } });
 * ```
 */
export interface ViolationRuleOption {
  /** Violations of one session within `window` that fire the rule (1 to 1,000,000; default 5). */
  threshold?: number;
  /** Counting window, 1 s to 1 day (default `'1m'`). */
  window?: Duration;
  /** What to do besides notifying: `'none'` (default) or `'revoke'` the session. */
  action?: SessionMonitorAction;
}

/** The `monitor` option: `true` for every rule with its defaults, or per rule (`false`: off). */
export type MonitorOption =
  | boolean
  | {
      /** Refused verifications of one key (default 20 per `'1m'`, action `'none'`; `'disable'` disables the key). */
      failedVerifies?: CountRuleOption | boolean;
      /** Refused verifications from one /24 or /64 network (default 50 per `'1m'`). */
      ipFailures?: Omit<CountRuleOption, 'action'> | boolean;
      /** A key used from a network this process has not seen it used from (default on). */
      newNetwork?:
        | {
            /** `'none'` (default) or `'disable'` the key. */
            action?: MonitorAction;
          }
        | boolean;
      /** Valid uses in one window ≥ `factor` × the key's baseline and ≥ `minimum` (default 10×, 100, `'1m'`). */
      usageSpike?:
        | {
            /** How many times the key's baseline a window must reach (1.5 to 1000; default 10). */
            factor?: number;
            /** Fewest uses in a window that can count as a spike (default 100). */
            minimum?: number;
            /** Window length, 1 s to 1 day (default `'1m'`). */
            window?: Duration;
            /** `'none'` (default) or `'disable'` the key. */
            action?: MonitorAction;
          }
        | boolean;
      /** `access.violation` events of one proxy session (default 5 per `'1m'`, action `'none'`; `'revoke'` revokes the session). */
      violations?: ViolationRuleOption | boolean;
      /** Most keys, networks and sessions each rule tracks (default 10,000). */
      maxTracked?: number;
    };

const action = z.optional(z.enum(['none', 'disable']));
const sessionAction = z.optional(z.enum(['none', 'revoke']));
const window = z.optional(
  durationSchema.check(z.refine((ms) => ms >= 1000 && ms <= 86_400_000, 'must be 1s to 1d')),
);
const threshold = z.optional(z.number().check(z.int(), z.gte(1), z.lte(1_000_000)));
const countRule = z.union([z.boolean(), z.strictObject({ threshold, window, action })]);
const countRuleNoAction = z.union([z.boolean(), z.strictObject({ threshold, window })]);
const violationRule = z.union([z.boolean(), z.strictObject({ threshold, window, action: sessionAction })]);

/** The zod schema of {@link MonitorOption}. */
export const monitorOptionSchema = z.union([
  z.boolean(),
  z.strictObject({
    failedVerifies: z.optional(countRule),
    ipFailures: z.optional(countRuleNoAction),
    newNetwork: z.optional(z.union([z.boolean(), z.strictObject({ action })])),
    usageSpike: z.optional(
      z.union([
        z.boolean(),
        z.strictObject({
          factor: z.optional(z.number().check(z.gte(1.5), z.lte(1000))),
          minimum: z.optional(z.number().check(z.int(), z.gte(1))),
          window,
          action,
        }),
      ]),
    ),
    violations: z.optional(violationRule),
    maxTracked: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10_000_000))),
  }),
]);

type Parsed = z.output<typeof monitorOptionSchema>;

function count<A extends MonitorAction | SessionMonitorAction>(
  v:
    | boolean
    | { threshold?: number | undefined; window?: number | undefined; action?: A | undefined }
    | undefined,
  threshold: number,
): ResolvedCountRule<A | 'none'> | null {
  if (v === false) return null;
  const o = v === true || v === undefined ? {} : v;
  return { threshold: o.threshold ?? threshold, windowMs: o.window ?? 60_000, action: o.action ?? 'none' };
}

/**
 * The monitor rules for a parsed `monitor` option, or undefined (no monitor).
 *
 * @example
 * ```ts
 * resolveMonitor(true); // every rule with its defaults
 * ```
 * @throws never
 */
export function resolveMonitor(option: Parsed | undefined): ResolvedMonitorOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const o = option === true ? {} : option;
  const spike =
    o.usageSpike === false ? null : o.usageSpike === true || o.usageSpike === undefined ? {} : o.usageSpike;
  const net =
    o.newNetwork === false ? null : o.newNetwork === true || o.newNetwork === undefined ? {} : o.newNetwork;
  return {
    failedVerifies: count(o.failedVerifies, 20),
    ipFailures: count(o.ipFailures, 50),
    newNetwork: net === null ? null : { action: net.action ?? 'none' },
    usageSpike:
      spike === null
        ? null
        : {
            factor: spike.factor ?? 10,
            minimum: spike.minimum ?? 100,
            windowMs: spike.window ?? 60_000,
            action: spike.action ?? 'none',
          },
    violations: count(o.violations, 5),
    maxTracked: o.maxTracked ?? 10_000,
  };
}
