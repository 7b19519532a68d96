/**
 * `create` and `createMany`: validate everything first, generate tokens, store only their keyed
 * hashes, audit, and undo the writes when the audit (or a later write) fails.
 * @internal
 * @module
 */

import { generateApiToken } from '../../crypto/tokens.js';
import { validationError } from '../../errors.js';
import { parseObject } from '../../internal/parse-object.js';
import type { StoredRecord } from '../../ports/storage.js';
import type { AuditDraft, StoreContext, StoreState } from '../../records/context.js';
import { computeDueAt } from '../../records/due.js';
import { applyInitialPolicy, policySetDraft } from '../../records/policy.js';
import { eventBase, makeVersion } from '../../records/record.js';
import { createRecords } from '../../records/write.js';
import type { CreatedApiKey } from '../api-key-types.js';
import { createdApiKey } from '../redact.js';
import { readApiKeyData, toApiKeyInfo, writeApiKeyData } from './record.js';
import { CREATE_KEYS, type CreateInput, createInputSchema } from './schemas.js';

/**
 * Most keys one `createMany` call creates.
 *
 * @example
 * ```ts
 * MAX_CREATE_MANY; // 1000
 * ```
 */
export const MAX_CREATE_MANY = 1000;

interface Prepared {
  record: StoredRecord;
  token: string;
  drafts: AuditDraft[];
}

/**
 * Parses one create input; `prefix` names it inside `createMany`.
 *
 * @example
 * ```ts
 * const input = parseCreateInput({ name: 'ci', scopes: ['deploy'] }, clock.now());
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the field (`expiresAt` in the past, `remaining` null with `refill`, …).
 */
export function parseCreateInput(raw: unknown, now: number, prefix = ''): CreateInput {
  const input = parseObject(createInputSchema, CREATE_KEYS, raw, 'input', prefix);
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  if (typeof input.expiresAt === 'number' && input.expiresAt <= now) {
    throw validationError(at('expiresAt'), 'must be in the future');
  }
  if (input.refill && input.remaining === null) {
    throw validationError(at('remaining'), 'must be a number when refill is set');
  }
  return input;
}

function expiryOf(ctx: StoreContext, input: CreateInput, now: number): number | null {
  if (input.expiresAt !== undefined) return input.expiresAt;
  if (input.expiresIn !== undefined) return input.expiresIn === null ? null : now + input.expiresIn;
  return ctx.options.expiresIn === null ? null : now + ctx.options.expiresIn;
}

function prepare(ctx: StoreContext, state: StoreState, input: CreateInput, now: number): Prepared {
  const id = ctx.newId();
  const prefix = input.prefix ?? ctx.options.apiKeyPrefix;
  const { token } = generateApiToken({ prefix, id });
  const remaining =
    input.remaining !== undefined ? input.remaining : input.refill ? input.refill.amount : null;
  let record: StoredRecord = {
    id,
    kind: 'api_key',
    name: input.name,
    uniqueName: false,
    tenantId: input.tenantId ?? null,
    environment: input.environment ?? 'default',
    ownerId: input.ownerId ?? null,
    status: 'active',
    revision: 1,
    createdAt: now,
    updatedAt: now,
    expiresAt: expiryOf(ctx, input, now),
    dueAt: null,
    tags: input.tags ?? [],
    provider: null,
    data: writeApiKeyData({
      prefix,
      start: `${prefix}_${id}`,
      scopes: input.scopes ?? [],
      remaining,
      refill: input.refill
        ? { amount: input.refill.amount, every: input.refill.every, lastRefillAt: now }
        : null,
      rateLimit: input.rateLimit ?? null,
      revokedAt: null,
      revokeReason: null,
      lastUsedAt: null,
    }),
    meta: input.meta ?? {},
    rotation: null,
    versions: [makeVersion({ version: 1, state: 'current', createdAt: now, hash: state.hashToken(token) })],
  };
  record = applyInitialPolicy(record, input.rotation, now);
  record.dueAt = computeDueAt(record);
  const data = readApiKeyData(record);
  const draft: AuditDraft = {
    type: 'key.created',
    recordId: id,
    kind: 'api_key',
    version: 1,
    tenantId: record.tenantId,
    actor: input.actor ?? null,
    data: {
      name: record.name,
      start: data.start,
      environment: record.environment,
      ownerId: record.ownerId,
      scopes: data.scopes,
      expiresAt: record.expiresAt,
    },
  };
  const policy = policySetDraft(record, input.actor ?? null);
  return { record, token, drafts: policy ? [draft, policy] : [draft] };
}

async function commit(ctx: StoreContext, prepared: Prepared[], now: number): Promise<CreatedApiKey[]> {
  await createRecords(
    ctx,
    prepared.map((p) => p.record),
    { audit: prepared.flatMap((p) => p.drafts) },
  );
  return prepared.map((p) => {
    ctx.notify({ ...eventBase(p.record, now, 1), type: 'key.created' });
    return createdApiKey(p.token, toApiKeyInfo(p.record, now));
  });
}

/**
 * Creates one API key. The record is written, then its `key.created` audit event (and
 * `rotation.policy_set` when `rotation` is given: the policy is stored on the record and its first
 * rotation scheduled from now); if the audit write fails the record is deleted again and
 * `ERR_AUDIT` is thrown.
 * @throws KeywardenError `ERR_VALIDATION` (naming the field, `rotation.every`...; nothing written),
 *   `ERR_AUDIT`, `ERR_STORAGE`, `ERR_CLOSED`.
 * @example
 * ```ts
 * const { token, key } = await createApiKey(ctx, { name: 'ci', scopes: ['deploy'] });
 * await createApiKey(ctx, { name: 'svc', rotation: { every: '30d', strategy: 'overlap' } });
 * ```
 */
export async function createApiKey(ctx: StoreContext, raw: unknown): Promise<CreatedApiKey> {
  const state = await ctx.ready();
  const now = ctx.clock.now();
  const input = parseCreateInput(raw, now);
  const [created] = await commit(ctx, [prepare(ctx, state, input, now)], now);
  return created as CreatedApiKey;
}

/**
 * Creates many keys: every input is validated before anything is written; then the records are
 * written one by one and audited in one batch. If any write (or the audit) fails, the records
 * already written are deleted and the error is rethrown.
 * @throws KeywardenError `ERR_VALIDATION` (fields `inputs`, `N.name`...), `ERR_AUDIT`, `ERR_STORAGE`.
 * @example
 * ```ts
 * const created = await createManyApiKeys(ctx, [{ name: 'a' }, { name: 'b' }]);
 * ```
 */
export async function createManyApiKeys(ctx: StoreContext, raws: unknown): Promise<CreatedApiKey[]> {
  const state = await ctx.ready();
  if (!Array.isArray(raws) || raws.length === 0 || raws.length > MAX_CREATE_MANY) {
    throw validationError('inputs', `must be an array of 1 to ${MAX_CREATE_MANY} key inputs`);
  }
  const now = ctx.clock.now();
  // Array.from visits holes of a sparse array (as undefined), which `map` would skip
  const inputs = Array.from(raws as unknown[], (raw, i) => parseCreateInput(raw, now, String(i)));
  return commit(
    ctx,
    inputs.map((input) => prepare(ctx, state, input, now)),
    now,
  );
}
