/**
 * The extension point: how a capability that lives in its own subpath (`keywarden/access`, the
 * management API, observability) reaches the services of a key manager — storage, clock, the
 * audit writer, the notifier, the token hasher — without importing manager internals.
 *
 * A manager registers its context when it is built; {@link capabilityContext} looks it up. Only
 * objects returned by `createKeyManager` are known: anything else is refused.
 *
 * @example
 * ```ts
 * import { capabilityContext } from 'keywarden/extension';
 *
 * const ctx = capabilityContext(km);
 * const { hashToken } = await ctx.ready();
 * await ctx.audit({ type: 'access.requested', recordId: id, kind: 'access_request' });
 * // records are written through the one audited write path, like the built-in views:
 * await createRecords(ctx, [record], { audit: { type: 'key.created', recordId: record.id, kind: record.kind } });
 * await mutateRecord(ctx, record.id, record.kind, (cur) => ({ next: { ...cur, tags: ['x'] }, result: null }), {
 *   audit: ({ after }) => ({ type: 'key.updated', recordId: after.id, kind: after.kind }),
 * });
 * ```
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { StoreContext } from '../records/context.js';

export { AUDIT_EVENT_TYPES, RECORD_KINDS } from '../ports/names.js';
export type {
  AuditDraft,
  ResolvedOptions,
  StoreContext as CapabilityContext,
  StoreState,
} from '../records/context.js';
export {
  isRecordKind,
  type KindMaterial,
  kindDescriptor,
  RECORD_KIND_DESCRIPTORS,
  type RecordKindDescriptor,
} from '../records/kinds.js';
export { loadRecord } from '../records/record.js';
export {
  type AuditDrafts,
  createRecords,
  deleteRecord,
  type MutatedRecord,
  type MutateRecordOptions,
  mutateRecord,
  type RecordChange,
  type RecordMutation,
} from '../records/write.js';

const contexts = new WeakMap<object, StoreContext>();

/**
 * Registers the context of a manager. Called once by `createKeyManager`.
 *
 * @example
 * ```ts
 * registerCapabilityContext(km, ctx);
 * ```
 * @throws never.
 * @internal
 */
export function registerCapabilityContext(manager: object, ctx: StoreContext): void {
  contexts.set(manager, ctx);
}

/**
 * The shared services of a manager built by `createKeyManager`.
 *
 * @example
 * ```ts
 * const ctx = capabilityContext(km);
 * await ctx.ready();
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `km`) when `manager` is not a key manager.
 */
export function capabilityContext(manager: unknown): StoreContext {
  const ctx = typeof manager === 'object' && manager !== null ? contexts.get(manager) : undefined;
  if (ctx === undefined) {
    throw new KeywardenError('ERR_VALIDATION', 'km: must be a key manager returned by createKeyManager', {
      field: 'km',
    });
  }
  return ctx;
}
