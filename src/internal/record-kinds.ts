/**
 * The one runtime list of record kinds (the type lives in `ports/storage.ts`): the memory and file
 * adapters and the backup schema validate `kind` against it, so a new kind is added here only.
 * @internal
 * @module
 */
import type { RecordKind } from '../ports/storage.js';

/**
 * Every {@link RecordKind}, in a stable order.
 *
 * @example
 * ```ts
 * RECORD_KINDS.includes('access_session'); // true
 * ```
 */
export const RECORD_KINDS = [
  'api_key',
  'secret',
  'key',
  'access_tool',
  'access_request',
  'access_session',
] as const satisfies readonly RecordKind[];

// Fails to compile when a kind is added to the type and not to the list.
type Missing = Exclude<RecordKind, (typeof RECORD_KINDS)[number]>;
const exhaustive: [Missing] extends [never] ? true : never = true;
void exhaustive;

/**
 * True when `value` is a record kind.
 *
 * @example
 * ```ts
 * isRecordKind('secret'); // true
 * isRecordKind('password'); // false
 * ```
 * @throws never
 */
export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === 'string' && (RECORD_KINDS as readonly string[]).includes(value);
}
