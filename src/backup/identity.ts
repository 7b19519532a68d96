/**
 * A store's identity as a bundle carries it: store id, pepper, KMS parameters.
 * @internal
 * @module
 */
import { isKeywardenError, KeywardenError } from '../errors.js';
import { constantTimeEqual, zeroize } from '../internal/bytes.js';
import type { WrappedKey } from '../ports/kms.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { unwrapDek } from '../records/envelope.js';
import { META_PEPPER, META_STORE_ID, PASSPHRASE_META_KEY, pepperContext } from '../records/store-meta.js';

export { META_PEPPER, META_STORE_ID, PASSPHRASE_META_KEY };

/** Pages read while walking a store. */
export const PAGE = 500;

/**
 * The stored (wrapped) pepper of the store, as JSON text and parsed.
 * @example
 * ```ts
 * const { raw, wrapped } = await readWrappedPepper(ctx);
 * ```
 * @throws KeywardenError `ERR_STORAGE` when missing or corrupt.
 */
export async function readWrappedPepper(ctx: StoreContext): Promise<{ raw: string; wrapped: WrappedKey }> {
  const raw = await ctx.storage.getMeta(META_PEPPER);
  if (raw === null) throw new KeywardenError('ERR_STORAGE', 'store metadata store.pepper is missing');
  try {
    return { raw, wrapped: JSON.parse(raw) as WrappedKey };
  } catch (cause) {
    throw new KeywardenError('ERR_STORAGE', 'store metadata store.pepper is corrupt', { cause });
  }
}

/**
 * Unwraps a pepper bound to `storeId` with this manager's KMS. The caller zeroes the result.
 * @example
 * ```ts
 * const pepper = await openPepper(ctx, wrapped, bundle.storeId, 'wrong master key');
 * ```
 * @throws KeywardenError `ERR_BACKUP` (with `why`) when the KMS cannot open it.
 */
export async function openPepper(
  ctx: StoreContext,
  wrapped: WrappedKey,
  storeId: string,
  why: string,
): Promise<Uint8Array> {
  try {
    return await unwrapDek(ctx.kms, wrapped, pepperContext(storeId));
  } catch (error) {
    if (isKeywardenError(error, 'ERR_CLOSED')) throw error;
    throw new KeywardenError('ERR_BACKUP', why, { field: 'bundle.meta.pepper', cause: error });
  }
}

/**
 * Constant-time comparison of two peppers.
 * @example
 * ```ts
 * declare const mine: Uint8Array;
 * declare const theirs: Uint8Array;
 * samePepper(mine, theirs); // true when equal
 * ```
 * @throws never
 */
export function samePepper(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b);
}

/**
 * Zeroes peppers.
 * @example
 * ```ts
 * declare const source: Uint8Array | null;
 * declare const mine: Uint8Array | null;
 * dropPeppers(source, mine);
 * ```
 * @throws never
 */
export const dropPeppers = (...p: (Uint8Array | null)[]): void => zeroize(...p);

/**
 * Every record of the store, oldest first, page by page.
 * @example
 * ```ts
 * let count = 0;
 * for await (const record of allRecords(ctx)) count++;
 * ```
 * @throws KeywardenError `ERR_STORAGE`.
 */
export async function* allRecords(ctx: StoreContext): AsyncGenerator<StoredRecord> {
  let cursor: string | undefined;
  do {
    const page = await ctx.storage.list(cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/**
 * Number of records (of one kind, or all), counted page by page.
 * @example
 * ```ts
 * const empty = (await countRecords(ctx)) === 0;
 * ```
 * @throws KeywardenError `ERR_STORAGE`.
 */
export async function countRecords(ctx: StoreContext, kind?: StoredRecord['kind']): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const query = kind === undefined ? { limit: 1000 } : { limit: 1000, kind };
    const page = await ctx.storage.list(cursor === undefined ? query : { ...query, cursor });
    n += page.items.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return n;
}
