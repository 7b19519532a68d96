/**
 * Hand-written validation of `verify` options (no zod on the hot path). A bad option is a caller
 * bug, so it throws `ERR_VALIDATION`; a bad token never throws (it is `MALFORMED`).
 * @internal
 * @module
 */
import { validationError } from '../../errors.js';
import { isPlainObject } from '../../internal/parse-object.js';
import { isQuotableKey, isWellFormedString, NOT_WELL_FORMED } from '../../internal/validate.js';
import type { JsonObject } from '../../ports/json.js';
import { SCOPE_PATTERN } from './scopes.js';

/** Parsed verify options. */
export interface VerifyOptions {
  scopes: readonly string[];
  cost: number;
  tenantId: string | undefined;
  environment: string | undefined;
  context: JsonObject;
}

const DEFAULTS: VerifyOptions = Object.freeze({
  scopes: Object.freeze([]) as readonly string[],
  cost: 1,
  tenantId: undefined,
  environment: undefined,
  context: Object.freeze({}) as JsonObject,
});

/**
 * Largest `cost` of one verification.
 *
 * @example
 * ```ts
 * MAX_COST; // 1_000_000_000
 * ```
 */
export const MAX_COST = 1_000_000_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTEXT_LIMITS: Record<string, number> = { ip: 64, userAgent: 512, requestId: 128 };

/**
 * Requested scopes that passed the check (a pure check of an immutable string: one that passed
 * always passes), so the next verification asking for them skips the pattern. Bounded: emptied
 * when full.
 */
const validScopes = new Set<string>();
const VALID_SCOPES_MAX = 1024;

/**
 * Frozen scope lists that passed the check. A frozen array cannot change (not even through a
 * Proxy: its traps must agree with a frozen target), so it is kept as is rather than copied, and
 * not checked again. The middleware passes the same frozen list on every request (`resolveOptions`
 * freezes a fixed `scopes`): `slice()` of a frozen array takes V8's slow path (~3,300 instructions
 * per request in the server's profile, the largest single cost of the options).
 */
const validFrozenLists = new WeakSet<readonly unknown[]>();

function boundedString(v: unknown, max: number, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || CONTROL.test(v)) {
    throw validationError(field, `must be a string of 1-${max} characters without control characters`);
  }
  if (!isWellFormedString(v)) throw validationError(field, NOT_WELL_FORMED);
  return v;
}

/**
 * Parses `verify`'s options.
 *
 * @example
 * ```ts
 * parseVerifyOptions({ scopes: ['files:read'], cost: 2 });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `options`, `options.scopes.N`, `options.cost`,
 *   `options.tenantId`, `options.environment`, `options.context.ip`...
 */
export function parseVerifyOptions(options: unknown): VerifyOptions {
  if (options === undefined) return DEFAULTS;
  if (!isPlainObject(options)) throw validationError('options', 'must be a plain object');
  let scopes = DEFAULTS.scopes;
  let cost = 1;
  let tenantId: string | undefined;
  let environment: string | undefined;
  let context = DEFAULTS.context;
  for (const key of Object.keys(options)) {
    const v = options[key];
    if (v === undefined) continue;
    switch (key) {
      case 'scopes': {
        if (validFrozenLists.has(v as readonly unknown[])) {
          scopes = v as readonly string[];
          break;
        }
        if (!Array.isArray(v) || v.length > 256) {
          throw validationError('options.scopes', 'must be an array of at most 256 scopes');
        }
        for (let i = 0; i < v.length; i++) {
          const s: unknown = v[i];
          if (typeof s === 'string' && validScopes.has(s)) continue;
          if (typeof s !== 'string' || s.length === 0 || s.length > 128 || !SCOPE_PATTERN.test(s)) {
            throw validationError(`options.scopes.${i}`, 'must be a scope like "files:read"');
          }
          if (validScopes.size >= VALID_SCOPES_MAX) validScopes.clear();
          validScopes.add(s);
        }
        if (Object.isFrozen(v)) {
          validFrozenLists.add(v);
          scopes = v as readonly string[];
        } else {
          scopes = (v as string[]).slice(); // verify keeps its own copy of a list the caller may change
        }
        break;
      }
      case 'cost':
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_COST) {
          throw validationError('options.cost', `must be an integer from 0 to ${MAX_COST}`);
        }
        cost = v;
        break;
      case 'tenantId':
        tenantId = boundedString(v, 128, 'options.tenantId');
        break;
      case 'environment':
        environment = boundedString(v, 64, 'options.environment');
        break;
      case 'context': {
        if (!isPlainObject(v)) throw validationError('options.context', 'must be a plain object');
        const out: JsonObject = {};
        for (const k of Object.keys(v)) {
          // own keys only: `constructor` or `toString` must not find Object.prototype's members
          const max = Object.hasOwn(CONTEXT_LIMITS, k) ? CONTEXT_LIMITS[k] : undefined;
          if (max === undefined) {
            throw isQuotableKey(k)
              ? validationError(`options.context.${k}`, 'is not a known context field')
              : validationError('options.context', 'has an unknown context field');
          }
          if (v[k] !== undefined) out[k] = boundedString(v[k], max, `options.context.${k}`);
        }
        context = out;
        break;
      }
      default:
        throw isQuotableKey(key)
          ? validationError(`options.${key}`, 'is not a verify option')
          : validationError('options', 'has an unknown verify option');
    }
  }
  return { scopes, cost, tenantId, environment, context };
}
