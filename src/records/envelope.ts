/**
 * Envelope encryption of secret values and private keys (format 2).
 *
 * - A fresh 256-bit data key (DEK) per sealed value, from the CSPRNG.
 * - The value is sealed with AES-256-GCM under the DEK with a random 96-bit nonce.
 * - Associated data (format 2, the sealed value says `f: 2`): UTF-8 canonical JSON
 *   `{"e":environment,"f":2,"k":kind,"n":name,"r":recordId,"s":storeId,"t":tenantId,"v":version}`,
 *   so a ciphertext moved to another record, version, kind or store, or a record whose name, tenant
 *   or environment was changed, fails to open.
 * - Format 1 (keywarden 0.1, no `f` field): `{"f":1,"k":kind,"r":recordId,"s":storeId,"v":version}`,
 *   which does not bind the labels. It is opened only when the caller's state says so
 *   (`acceptsLegacySeals`: a 0.1 store whose upgrade is pending, or the upgrade itself); anywhere
 *   else it is `ERR_DECRYPT`. The `f` tag is only a hint: it is itself inside the associated data, so
 *   a format-2 value whose tag was removed (or a format-1 value given one) fails authentication.
 * - The DEK is wrapped by the KMS with context `{ store, record, version }` (the KMS authenticates it).
 * - The DEK and intermediate plaintext buffers are zeroed after use.
 *
 * Opening never returns garbage: any malformed field, failed authentication or wrong binding is
 * `ERR_DECRYPT`; an unexpected KMS failure is `ERR_KMS`. See docs/envelope-encryption.md.
 * @internal
 * @module
 */

import { isKeywardenError, KeywardenError } from '../errors.js';
import { fromBase64Url, randomBytes, toBase64Url, utf8Encode, zeroize } from '../internal/bytes.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import type { OpenedKeyCache, OpenedMaterial } from '../internal/opened-cache.js';
import type { KmsAdapter, KmsContext, WrappedKey } from '../ports/kms.js';
import type { RecordKind, SealedValue, StoredRecord } from '../ports/storage.js';
import type { StoreContext, StoreState } from './context.js';
import { isRecordKind } from './kinds.js';

/**
 * The only sealing algorithm (formats 1 and 2).
 *
 * @example
 * ```ts
 * SEAL_ALG; // 'A256GCM'
 * ```
 */
export const SEAL_ALG = 'A256GCM';
/**
 * Envelope format of every value sealed now (stored as `sealed.f`), bound into the associated data.
 *
 * @example
 * ```ts
 * ENVELOPE_FORMAT; // 2
 * ```
 */
export const ENVELOPE_FORMAT = 2;
/**
 * Envelope format of keywarden 0.1 (no `f` field; the associated data binds no labels).
 *
 * @example
 * ```ts
 * LEGACY_ENVELOPE_FORMAT; // 1
 * ```
 */
export const LEGACY_ENVELOPE_FORMAT = 1;
const DEK_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Largest plaintext {@link sealValue} accepts (1 MiB; views enforce tighter limits).
 *
 * @example
 * ```ts
 * MAX_SEALED_PLAINTEXT; // 1 << 20
 * ```
 */
export const MAX_SEALED_PLAINTEXT = 1 << 20;

/**
 * Where a sealed value belongs: all of it is bound into the associated data (format 2); the store,
 * record and version also into the KMS context.
 */
export interface SealBinding {
  /** The record id. */
  recordId: string;
  /** The version number (1-based). */
  version: number;
  /** The record kind (`'secret'` or `'key'`). */
  kind: RecordKind;
  /** The record's name. */
  name: string;
  /** The record's tenant, or null. */
  tenantId: string | null;
  /** The record's environment. */
  environment: string;
}

/**
 * The binding of version `version` of `record`: its id, kind and labels.
 *
 * @example
 * ```ts
 * const v = record.versions[0]!;
 * const bytes = await openValue(ctx, state, v.sealed!, bindingOf(record, v.version));
 * ```
 * @throws never
 */
export function bindingOf(
  record: Pick<StoredRecord, 'id' | 'kind' | 'name' | 'tenantId' | 'environment'>,
  version: number,
): SealBinding {
  return {
    recordId: record.id,
    version,
    kind: record.kind,
    name: record.name,
    tenantId: record.tenantId,
    environment: record.environment,
  };
}

/**
 * The associated data of a sealed value of `format` (default: the current one).
 *
 * @example
 * ```ts
 * sealAssociatedData('store1', bindingOf(record, 1)); // format 2: binds the labels too
 * sealAssociatedData('store1', bindingOf(record, 1), LEGACY_ENVELOPE_FORMAT); // what 0.1 bound
 * ```
 * @throws never
 */
export function sealAssociatedData(
  storeId: string,
  binding: SealBinding,
  format: typeof ENVELOPE_FORMAT | typeof LEGACY_ENVELOPE_FORMAT = ENVELOPE_FORMAT,
): Uint8Array {
  // canonical JSON (keys sorted) written out directly: this runs on every open
  const q = JSON.stringify;
  if (format === LEGACY_ENVELOPE_FORMAT) {
    return utf8Encode(
      `{"f":1,"k":${q(binding.kind)},"r":${q(binding.recordId)},"s":${q(storeId)},"v":${binding.version}}`,
    );
  }
  return utf8Encode(
    `{"e":${q(binding.environment)},"f":2,"k":${q(binding.kind)},"n":${q(binding.name)},"r":${q(binding.recordId)},"s":${q(storeId)},"t":${q(binding.tenantId)},"v":${binding.version}}`,
  );
}

/**
 * What opening a value needs of the store state: its id, and whether format-1 values (keywarden
 * 0.1, no labels bound) may still be opened. Absent means never.
 */
export type OpenState = Pick<StoreState, 'storeId'> & Partial<Pick<StoreState, 'acceptsLegacySeals'>>;

/**
 * The KMS context a data key is wrapped with.
 *
 * @example
 * ```ts
 * declare const recordId: string;
 * await kms.wrapKey(dek, dekContext(storeId, bindingOf(record, 2)));
 * ```
 * @throws never
 */
export function dekContext(storeId: string, binding: SealBinding): KmsContext {
  return { store: storeId, record: binding.recordId, version: String(binding.version) };
}

function checkBinding(
  binding: SealBinding,
  code: 'ERR_INVALID_STATE' | 'ERR_DECRYPT' = 'ERR_INVALID_STATE',
): void {
  if (
    typeof binding !== 'object' ||
    binding === null ||
    typeof binding.recordId !== 'string' ||
    binding.recordId.length === 0 ||
    !Number.isSafeInteger(binding.version) ||
    binding.version < 1 ||
    !isRecordKind(binding.kind) ||
    typeof binding.name !== 'string' ||
    (binding.tenantId !== null && typeof binding.tenantId !== 'string') ||
    typeof binding.environment !== 'string'
  ) {
    throw new KeywardenError(
      code,
      'envelope binding must name a record, a version, a kind, a name, a tenant (or null) and an environment',
    );
  }
}

/**
 * Seals `plaintext` (not modified; the caller zeroes it) under a fresh data key.
 *
 * @example
 * ```ts
 * const sealed = await sealValue(ctx, state, utf8Encode('sk-...'), bindingOf(record, 1));
 * ```
 * @throws KeywardenError `ERR_KMS` when the KMS fails to wrap the data key (KeywardenErrors from the
 *   KMS, such as `ERR_CLOSED`, pass through), `ERR_INVALID_STATE` for a bad binding or an oversized value.
 */
export async function sealValue(
  ctx: Pick<StoreContext, 'kms'>,
  state: Pick<StoreState, 'storeId'>,
  plaintext: Uint8Array,
  binding: SealBinding,
): Promise<SealedValue> {
  checkBinding(binding);
  if (!(plaintext instanceof Uint8Array) || plaintext.length > MAX_SEALED_PLAINTEXT) {
    throw new KeywardenError('ERR_INVALID_STATE', 'sealValue needs a Uint8Array of at most 1 MiB');
  }
  const dek = randomBytes(DEK_BYTES);
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const ct = cryptoBackend().aesGcmEncrypt(
      dek,
      nonce,
      plaintext,
      sealAssociatedData(state.storeId, binding),
    );
    const wrapped = await wrapDek(ctx.kms, dek, dekContext(state.storeId, binding));
    return {
      alg: SEAL_ALG,
      f: ENVELOPE_FORMAT,
      nonce: toBase64Url(nonce),
      ct: toBase64Url(ct),
      dek: wrapped,
    };
  } finally {
    zeroize(dek);
  }
}

/**
 * Where {@link openValue} may keep and find data keys it unwrapped (the manager's `keyCache`,
 * src/internal/opened-cache.ts), and the time of the call.
 */
export interface DataKeyCache {
  /** The cache of opened data keys. */
  readonly cache: OpenedKeyCache;
  /** Now, in ms (the clock of the manager). */
  readonly now: number;
}

/** A cached data key: 32 bytes that `destroy()` zeroes. */
class OpenedDataKey implements OpenedMaterial {
  readonly dek: Uint8Array;
  constructor(dek: Uint8Array) {
    this.dek = dek;
  }
  destroy(): void {
    this.dek.fill(0);
  }
}

/**
 * Opens a sealed value bound to `binding`. The caller owns (and must zero) the returned bytes.
 * A format-1 value (keywarden 0.1) opens only when `state.acceptsLegacySeals()` resolves true.
 *
 * With `dataKeys`, the data key unwrapped by the KMS is kept there (after the value opened with
 * it) and a later open of the **same wrapped data key** for the same store, record, version,
 * labels and format takes it from there instead of calling the KMS. Only the unwrap is skipped:
 * the value is still opened with AES-GCM and its associated data on every call, so a hit can only
 * ever open the ciphertext that data key sealed, under the labels it was sealed with.
 *
 * @example
 * ```ts
 * const bytes = await openValue(ctx, state, version.sealed, bindingOf(record, version.version));
 * try { console.log(bytes.length); } finally { zeroize(bytes); }
 * ```
 * @throws KeywardenError `ERR_DECRYPT` for a malformed, tampered, moved or wrongly keyed value, a
 *   record whose labels changed, or a format-1 value the state does not accept; `ERR_KMS` when
 *   the KMS fails for another reason; `ERR_CLOSED` when the KMS was closed.
 */
export async function openValue(
  ctx: Pick<StoreContext, 'kms'>,
  state: OpenState,
  sealed: unknown,
  binding: SealBinding,
  dataKeys?: DataKeyCache,
): Promise<Uint8Array> {
  // a bad binding here comes from a corrupt stored record: it cannot open
  checkBinding(binding, 'ERR_DECRYPT');
  const once = dataKeys === undefined ? undefined : parseSealedOnce(sealed);
  const parsed: ParsedSealed = once ?? parseSealed(sealed);
  if (parsed.format === LEGACY_ENVELOPE_FORMAT && (await state.acceptsLegacySeals?.()) !== true) {
    throw decryptError(
      'it is in the format of keywarden 0.1, which does not bind its labels; run `keywarden upgrade` (km.upgrade()) to seal it again',
    );
  }
  if (dataKeys === undefined || once === undefined) {
    const ad = sealAssociatedData(state.storeId, binding, parsed.format);
    return withDek(ctx.kms, parsed.dek, dekContext(state.storeId, binding), (dek) =>
      openWithDek(dek, parsed, ad),
    );
  }
  const { cache, now } = dataKeys;
  const { ad, slot } = boundTo(once, state.storeId, binding);
  const fingerprint = once.fingerprint;
  // used in the same synchronous step it was taken in: nothing can evict (and zero) it in between
  const hit = cache.get<OpenedDataKey>(binding.recordId, slot, fingerprint, now);
  if (hit !== undefined) return openWithDek(hit.dek, parsed, ad);
  const w = parsed.dek;
  const dek = await unwrapDek(ctx.kms, w, dekContext(state.storeId, binding));
  let plaintext: Uint8Array;
  try {
    plaintext = openWithDek(dek, parsed, ad);
  } catch (error) {
    zeroize(dek);
    throw error;
  }
  cache.set(binding.recordId, slot, fingerprint, new OpenedDataKey(dek), now); // it owns (and zeroes) dek now
  return plaintext;
}

/**
 * The synchronous part of {@link openValue} with `dataKeys`: the value opened with its cached data
 * key (AES-GCM with its associated data, as always), or `undefined` when the data key is not
 * cached (or the value is in the 0.1 format): then call {@link openValue}. The caller owns (and
 * must zero) the returned bytes.
 *
 * @example
 * ```ts
 * declare const dataKeys: DataKeyCache;
 * const binding = bindingOf(record, version.version);
 * const bytes = openCachedValue(state, version.sealed, binding, dataKeys) ?? (await openValue(ctx, state, version.sealed, binding, dataKeys));
 * ```
 * @throws KeywardenError `ERR_DECRYPT` for a malformed value, a bad binding, or a value that fails
 *   authentication under the cached data key.
 */
export function openCachedValue(
  state: Pick<StoreState, 'storeId'>,
  sealed: unknown,
  binding: SealBinding,
  dataKeys: DataKeyCache,
): Uint8Array | undefined {
  checkBinding(binding, 'ERR_DECRYPT');
  const parsed = parseSealedOnce(sealed);
  if (parsed.format !== ENVELOPE_FORMAT) return undefined; // the async path decides on 0.1 values
  const { ad, slot } = boundTo(parsed, state.storeId, binding);
  // used in the same synchronous step it was taken in: nothing can evict (and zero) it in between
  const hit = dataKeys.cache.get<OpenedDataKey>(binding.recordId, slot, parsed.fingerprint, dataKeys.now);
  return hit === undefined ? undefined : openWithDek(hit.dek, parsed, ad);
}

/** AES-GCM open of a parsed sealed value with its data key; any failure is `ERR_DECRYPT`. */
function openWithDek(dek: Uint8Array, parsed: ParsedSealed, ad: Uint8Array): Uint8Array {
  try {
    if (dek.length !== DEK_BYTES) throw decryptError('the data key has the wrong length');
    return cryptoBackend().aesGcmDecrypt(dek, parsed.nonce, parsed.ct, ad);
  } catch (error) {
    if (isKeywardenError(error)) throw error;
    throw decryptError('the sealed value failed authentication (tampered, moved or wrong key)');
  }
}

/**
 * What {@link parseSealedOnce} keeps of a sealed value: its parsed fields (nothing secret: a
 * ciphertext, a nonce, a wrapped key), the fingerprint of its wrapped data key, and the associated
 * data and cache slot of the last binding it was opened under.
 */
interface ParsedOnce extends ParsedSealed {
  readonly fingerprint: string;
  bound?: { storeId: string; binding: SealBinding; ad: Uint8Array; slot: string };
}

/**
 * Parsed sealed values, by the (frozen) object they were parsed from. A deeply frozen object
 * cannot change, so its parse cannot either (the memory and file adapters hand back the same
 * frozen record objects on every read); anything else is parsed on every call.
 */
const parsedSeals = new WeakMap<object, ParsedOnce>();

/** {@link parseSealed}, remembered for a deeply frozen sealed value. */
function parseSealedOnce(sealed: unknown): ParsedOnce {
  const known = typeof sealed === 'object' && sealed !== null ? parsedSeals.get(sealed) : undefined;
  if (known !== undefined) return known;
  const parsed = parseSealed(sealed);
  const w = parsed.dek;
  Object.freeze(w); // what the KMS is handed on a miss: it stays what the fingerprint names
  const once: ParsedOnce = { ...parsed, fingerprint: `${w.kms}\n${w.keyId}\n${w.alg}\n${w.data}` };
  const s = sealed as Record<string, unknown>;
  if (Object.isFrozen(s) && Object.isFrozen(s['dek'])) parsedSeals.set(s, once);
  return once;
}

/** The associated data and data-key cache slot of `parsed` under `binding` (the last one kept). */
function boundTo(
  parsed: ParsedOnce,
  storeId: string,
  binding: SealBinding,
): { ad: Uint8Array; slot: string } {
  const b = parsed.bound;
  if (
    b !== undefined &&
    b.storeId === storeId &&
    b.binding.recordId === binding.recordId &&
    b.binding.version === binding.version &&
    b.binding.kind === binding.kind &&
    b.binding.name === binding.name &&
    b.binding.tenantId === binding.tenantId &&
    b.binding.environment === binding.environment
  ) {
    return b;
  }
  const next = {
    storeId,
    binding: { ...binding },
    ad: sealAssociatedData(storeId, binding, parsed.format),
    slot: dataKeySlot(storeId, binding, parsed.format),
  };
  parsed.bound = next;
  return next;
}

/**
 * The cache slot of a data key: everything its KMS context and the value's associated data bind
 * (store, version, kind, name, tenant, environment, format; the record id is the cache's own key).
 * A store writer who moves a wrapped data key or relabels a record therefore misses the cache and
 * meets the KMS's and the envelope's own checks.
 */
function dataKeySlot(storeId: string, binding: SealBinding, format: number): string {
  return JSON.stringify([
    'dek',
    storeId,
    binding.version,
    binding.kind,
    binding.name,
    binding.tenantId,
    binding.environment,
    format,
  ]);
}

/**
 * Rewraps the data key of `sealed` under the KMS's current key without opening the value: the
 * format, nonce and ciphertext are returned unchanged.
 *
 * @example
 * ```ts
 * declare const binding: SealBinding;
 * let v = record.versions[0]!;
 * if (v.sealed && kms.needsRewrap?.(v.sealed.dek)) v = { ...v, sealed: await rewrapSealed(ctx, state, v.sealed, binding) };
 * ```
 * @throws KeywardenError `ERR_DECRYPT` (malformed or tampered data key), `ERR_KMS`.
 */
export async function rewrapSealed(
  ctx: Pick<StoreContext, 'kms'>,
  state: Pick<StoreState, 'storeId'>,
  sealed: SealedValue,
  binding: SealBinding,
): Promise<SealedValue> {
  checkBinding(binding);
  const parsed = parseSealed(sealed);
  const context = dekContext(state.storeId, binding);
  return withDek(ctx.kms, sealed.dek, context, async (dek) => {
    const wrapped = await wrapDek(ctx.kms, dek, context);
    const body = { nonce: sealed.nonce, ct: sealed.ct, dek: wrapped };
    return parsed.format === ENVELOPE_FORMAT
      ? { alg: SEAL_ALG, f: ENVELOPE_FORMAT, ...body }
      : { alg: SEAL_ALG, ...body };
  });
}

/** Unwraps a data key (as {@link unwrapDek}), hands it to `use`, and zeroes it afterwards. */
async function withDek<T>(
  kms: KmsAdapter,
  wrapped: WrappedKey,
  context: KmsContext,
  use: (dek: Uint8Array) => T | Promise<T>,
): Promise<T> {
  const dek = await unwrapDek(kms, wrapped, context);
  try {
    return await use(dek);
  } finally {
    zeroize(dek);
  }
}

/** Wraps a data key with the KMS and checks (and copies) what it returns. */
async function wrapDek(kms: KmsAdapter, dek: Uint8Array, context: KmsContext): Promise<WrappedKey> {
  let wrapped: WrappedKey;
  try {
    wrapped = await kms.wrapKey(dek, context);
  } catch (error) {
    if (isKeywardenError(error)) throw error;
    throw new KeywardenError('ERR_KMS', 'the KMS failed to wrap a data key', { cause: error });
  }
  return copyWrapped(wrapped);
}

/**
 * Unwraps a data key, mapping failures: authentication or malformed input → `ERR_DECRYPT`; a key
 * id the KMS keyring does not hold (when the KMS exposes its key ids) → `ERR_DECRYPT`; any other
 * failure → `ERR_KMS`. `ERR_CLOSED` passes through.
 *
 * @example
 * ```ts
 * const dek = await unwrapDek(kms, wrapped, { store: storeId, purpose: 'pepper' });
 * ```
 * @throws KeywardenError as above.
 */
export async function unwrapDek(
  kms: KmsAdapter,
  wrapped: WrappedKey,
  context: KmsContext,
): Promise<Uint8Array> {
  try {
    const dek = await kms.unwrapKey(wrapped, context);
    if (!(dek instanceof Uint8Array)) throw new KeywardenError('ERR_KMS', 'the KMS returned no key');
    return dek;
  } catch (error) {
    if (isKeywardenError(error)) {
      if (error.code === 'ERR_DECRYPT' || error.code === 'ERR_CLOSED') throw error;
      if (error.code === 'ERR_VALIDATION' || (error.code === 'ERR_KMS' && isUnknownKeyId(kms, wrapped))) {
        throw decryptError('the data key was wrapped by a key this KMS does not hold, or is malformed');
      }
      if (error.code === 'ERR_KMS') throw error;
    }
    throw new KeywardenError('ERR_KMS', 'the KMS failed to unwrap a data key', { cause: error });
  }
}

/**
 * True when `wrapped` names a master key the KMS does not hold: either the KMS publishes its key
 * ids (as `localKms` does) and `wrapped.keyId` is not one, or the KMS says the key is not its
 * current one (`needsRewrap`) and still failed to use it. A KMS outage on a current-key data key
 * stays `ERR_KMS`.
 */
function isUnknownKeyId(kms: KmsAdapter, wrapped: WrappedKey): boolean {
  const k = kms as unknown as { keyId?: unknown; previousKeyIds?: unknown };
  if (typeof k.keyId === 'string') {
    const known = [k.keyId, ...(Array.isArray(k.previousKeyIds) ? (k.previousKeyIds as unknown[]) : [])];
    if (!known.includes(wrapped.keyId)) return true;
  }
  try {
    return kms.needsRewrap?.(wrapped) === true;
  } catch {
    return false;
  }
}

function copyWrapped(w: WrappedKey): WrappedKey {
  if (
    typeof w !== 'object' ||
    w === null ||
    typeof w.kms !== 'string' ||
    typeof w.keyId !== 'string' ||
    typeof w.alg !== 'string' ||
    typeof w.data !== 'string'
  ) {
    throw new KeywardenError('ERR_KMS', 'the KMS returned a malformed wrapped key');
  }
  return { kms: w.kms, keyId: w.keyId, alg: w.alg, data: w.data };
}

function decryptError(why: string): KeywardenError {
  return new KeywardenError('ERR_DECRYPT', `cannot open sealed value: ${why}`);
}

interface ParsedSealed {
  format: typeof ENVELOPE_FORMAT | typeof LEGACY_ENVELOPE_FORMAT;
  nonce: Uint8Array;
  ct: Uint8Array;
  dek: WrappedKey;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks every field of a SealedValue; anything off is `ERR_DECRYPT` (never a TypeError). */
function parseSealed(sealed: unknown): ParsedSealed {
  if (!isObject(sealed)) throw decryptError('it is missing or not an object');
  if (sealed['alg'] !== SEAL_ALG) throw decryptError('unsupported alg');
  // absent: format 1 (keywarden 0.1); only 2 is written now; anything else is not ours
  const f = sealed['f'];
  if (f !== undefined && f !== ENVELOPE_FORMAT) throw decryptError('unsupported format');
  const dek = sealed['dek'];
  if (!isObject(dek)) throw decryptError('the wrapped data key is missing');
  for (const f of ['kms', 'keyId', 'alg', 'data'] as const) {
    if (typeof dek[f] !== 'string' || (dek[f] as string).length === 0) {
      throw decryptError(`the wrapped data key has no ${f}`);
    }
  }
  const nonce = decode(sealed['nonce'], 'nonce');
  if (nonce.length !== NONCE_BYTES) throw decryptError('the nonce has the wrong length');
  const ct = decode(sealed['ct'], 'ciphertext');
  if (ct.length < TAG_BYTES) throw decryptError('the ciphertext is too short');
  return {
    format: f === undefined ? LEGACY_ENVELOPE_FORMAT : ENVELOPE_FORMAT,
    nonce,
    ct,
    dek: {
      kms: dek['kms'] as string,
      keyId: dek['keyId'] as string,
      alg: dek['alg'] as string,
      data: dek['data'] as string,
    },
  };
}

const B64URL_ONLY = /^[A-Za-z0-9_-]*$/;

function decode(value: unknown, what: string): Uint8Array {
  // format 1 writes unpadded base64url; accept nothing else (one canonical encoding per value)
  if (typeof value !== 'string' || !B64URL_ONLY.test(value))
    throw decryptError(`the ${what} is not base64url`);
  try {
    return fromBase64Url(value);
  } catch {
    throw decryptError(`the ${what} is not base64url`);
  }
}
