/**
 * Import planning: how a bundle's records will be written into this store (as they are, re-sealed,
 * or sealed from plaintext) and which store metadata changes first. Nothing here writes records.
 * @internal
 * @module
 */

import { isKeywardenError, KeywardenError } from '../errors.js';
import { fromBase64Url, zeroize } from '../internal/bytes.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext, StoreState } from '../records/context.js';
import { bindingOf, openValue, sealValue } from '../records/envelope.js';
import { kindDescriptor } from '../records/kinds.js';
import { pepperContext } from '../records/store-meta.js';
import {
  countRecords,
  dropPeppers,
  META_PEPPER,
  META_STORE_ID,
  openPepper,
  readWrappedPepper,
  samePepper,
} from './identity.js';
import type { BackupBundle } from './schema.js';

/** Everything an import will write, prepared before the first write. */
export interface Plan {
  records: StoredRecord[];
  meta: { key: string; value: string; expected: string | null }[];
  adoptedIdentity: boolean;
  adoptedPepper: boolean;
}

/** The message when the target KMS cannot open something of the bundle. */
export const wrongKey = (what: string) =>
  `the target KMS cannot open this bundle's ${what}: a sealed bundle imports only under the same master key (or KMS); export with plaintext to move to another one`;

/**
 * Plans a sealed bundle: same store (as is), empty target (adopt identity), else re-seal.
 *
 * @example
 * ```ts
 * const plan = await planSealed(ctx, await ctx.ready(), bundle);
 * ```
 * @throws KeywardenError `ERR_BACKUP` (wrong master key, pepper mismatch), `ERR_STORAGE`, `ERR_KMS`.
 */
export async function planSealed(ctx: StoreContext, state: StoreState, bundle: BackupBundle): Promise<Plan> {
  const plan: Plan = { records: bundle.records, meta: [], adoptedIdentity: false, adoptedPepper: false };
  if (!('wrapped' in bundle.meta.pepper))
    throw new KeywardenError('ERR_BACKUP', 'sealed bundle without a wrapped pepper');
  const source = await openPepper(ctx, bundle.meta.pepper.wrapped, bundle.storeId, wrongKey('pepper'));
  if (bundle.storeId === state.storeId) {
    zeroize(source);
    plan.records = await resealLegacy(ctx, bundle);
    return plan;
  }
  const target = await readWrappedPepper(ctx);
  if ((await countRecords(ctx)) === 0) {
    zeroize(source);
    plan.adoptedIdentity = true;
    plan.meta.push(
      { key: META_STORE_ID, value: bundle.storeId, expected: state.storeId },
      { key: META_PEPPER, value: JSON.stringify(bundle.meta.pepper.wrapped), expected: target.raw },
    );
    plan.records = await resealLegacy(ctx, bundle);
    return plan;
  }
  const mine = await openPepper(ctx, target.wrapped, state.storeId, 'the KMS cannot open this store pepper');
  const same = samePepper(source, mine);
  dropPeppers(source, mine);
  if (!same && bundle.records.some((r) => kindDescriptor(r.kind).material === 'token-hash')) {
    throw new KeywardenError(
      'ERR_BACKUP',
      'the bundle holds API keys hashed under another store pepper; import it into an empty store (which adopts the pepper)',
      { field: 'bundle.meta.pepper' },
    );
  }
  plan.records = [];
  for (const record of bundle.records)
    plan.records.push(await resealRecord(ctx, state, bundle.storeId, record, false));
  return plan;
}

/**
 * The bundle's records, with values sealed in the 0.1 envelope format (a bundle exported by 0.1)
 * sealed again in format 2 under the same store id (kept, or adopted with the bundle's identity),
 * so an imported store holds no value that only `km.upgrade()` could open. Others as they are.
 */
async function resealLegacy(ctx: StoreContext, bundle: BackupBundle): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (const record of bundle.records) {
    const legacy = record.versions.some((v) => v.sealed !== null && v.sealed.f === undefined);
    out.push(
      legacy ? await resealRecord(ctx, { storeId: bundle.storeId }, bundle.storeId, record, true) : record,
    );
  }
  return out;
}

async function resealRecord(
  ctx: StoreContext,
  state: Pick<StoreState, 'storeId'>,
  sourceStoreId: string,
  record: StoredRecord,
  onlyLegacy: boolean,
): Promise<StoredRecord> {
  const versions: StoredVersion[] = [];
  for (const v of record.versions) {
    if (v.sealed === null || (onlyLegacy && v.sealed.f !== undefined)) {
      versions.push(v);
      continue;
    }
    const binding = bindingOf(record, v.version);
    let bytes: Uint8Array;
    try {
      // a bundle exported by 0.1 holds format-1 values (no labels bound): an import is how they
      // come back (disaster recovery), so they open here and are sealed again as format 2
      const source = { storeId: sourceStoreId, acceptsLegacySeals: async () => true };
      bytes = await openValue(ctx, source, v.sealed, binding);
    } catch (error) {
      if (isKeywardenError(error, 'ERR_CLOSED')) throw error;
      throw new KeywardenError('ERR_BACKUP', wrongKey(`${record.kind} ${record.id} version ${v.version}`), {
        field: 'bundle.records',
        cause: error,
      });
    }
    try {
      versions.push({ ...v, sealed: await sealValue(ctx, state, bytes, binding) });
    } finally {
      zeroize(bytes);
    }
  }
  return { ...record, versions };
}

/**
 * Plans a plaintext bundle: seal every value under the target; adopt the pepper when needed and allowed.
 *
 * @example
 * ```ts
 * const plan = await planPlaintext(ctx, await ctx.ready(), bundle);
 * ```
 * @throws KeywardenError `ERR_BACKUP` (pepper mismatch with API keys present), `ERR_STORAGE`, `ERR_KMS`.
 */
export async function planPlaintext(
  ctx: StoreContext,
  state: StoreState,
  bundle: BackupBundle,
): Promise<Plan> {
  const plan: Plan = { records: [], meta: [], adoptedIdentity: false, adoptedPepper: false };
  if (!('plaintext' in bundle.meta.pepper))
    throw new KeywardenError('ERR_BACKUP', 'plaintext bundle without a pepper');
  const source = fromBase64Url(bundle.meta.pepper.plaintext);
  const target = await readWrappedPepper(ctx);
  const mine = await openPepper(ctx, target.wrapped, state.storeId, 'the KMS cannot open this store pepper');
  try {
    if (
      !samePepper(source, mine) &&
      bundle.records.some((r) => kindDescriptor(r.kind).material === 'token-hash')
    ) {
      if ((await countRecords(ctx, 'api_key')) > 0) {
        throw new KeywardenError(
          'ERR_BACKUP',
          'the bundle holds API keys hashed under another pepper and this store already has API keys; import into a store without API keys',
          { field: 'bundle.meta.pepper' },
        );
      }
      const wrapped = await ctx.kms.wrapKey(source, pepperContext(state.storeId));
      plan.meta.push({ key: META_PEPPER, value: JSON.stringify(wrapped), expected: target.raw });
      plan.adoptedPepper = true;
    }
  } finally {
    dropPeppers(source, mine);
  }
  const values = new Map<string, string>();
  for (const v of bundle.values ?? []) values.set(`${v.recordId}/${v.version}`, v.value);
  for (const record of bundle.records) {
    const versions: StoredVersion[] = [];
    for (const v of record.versions) {
      const value = values.get(`${record.id}/${v.version}`);
      if (value === undefined) {
        versions.push(v);
        continue;
      }
      const bytes = fromBase64Url(value);
      try {
        versions.push({ ...v, sealed: await sealValue(ctx, state, bytes, bindingOf(record, v.version)) });
      } finally {
        zeroize(bytes);
      }
    }
    plan.records.push({ ...record, versions });
  }
  return plan;
}
