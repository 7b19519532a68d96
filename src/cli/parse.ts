/**
 * Parsers for option values (lists, JSON objects, dates, integers). Each failure is a usage error
 * naming the option.
 * @module
 */
import type { JsonObject } from '../ports/json.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

const usage = (message: string) => new CliError('ERR_VALIDATION', message, EXIT.USAGE);

/**
 * A comma-separated list (`a,b , c` → `['a','b','c']`); empty items dropped.
 *
 * @example
 * ```ts
 * list('read,write'); // ['read', 'write']
 * ```
 * @throws never
 */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * A JSON object given on the command line.
 *
 * @example
 * ```ts
 * jsonObject('{"team":"billing"}', '--meta');
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) when it is not a JSON object.
 */
export function jsonObject(value: string, option: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw usage(`${option} must be a JSON object`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw usage(`${option} must be a JSON object`);
  }
  return parsed as JsonObject;
}

/**
 * A date: ISO 8601 (`2026-01-31`, `2026-01-31T12:00:00Z`) or epoch milliseconds.
 *
 * @example
 * ```ts
 * date('2026-01-31', '--expires-at'); // 1769817600000
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) for anything else.
 */
export function date(value: string, option: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw usage(`${option} must be an ISO 8601 date (2026-01-31) or epoch milliseconds`);
  }
  return ms;
}

/**
 * A positive integer.
 *
 * @example
 * ```ts
 * int('3', '--version'); // 3
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) otherwise.
 */
export function int(value: string, option: string): number {
  if (!/^\d{1,15}$/.test(value)) throw usage(`${option} must be a whole number`);
  return Number(value);
}

/**
 * `--if-revision N` as library options: `{ expectedRevision: N }`, or nothing when not given.
 *
 * @example
 * ```ts
 * const o = { env: 'production', ifRevision: '3' }; // parsed options
 * await km.secrets.delete('OPENAI_API_KEY', { environment: o.env, ...ifRevision(o.ifRevision) }); // ERR_CONFLICT (exit 6) when stale
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) when it is not a whole number of at least 1.
 */
export function ifRevision(value: string | undefined): { expectedRevision?: number } {
  if (value === undefined) return {};
  const n = int(value, '--if-revision');
  if (n < 1) throw usage('--if-revision must be at least 1');
  return { expectedRevision: n };
}
