/**
 * What you do with a key: sign, verify, publish a JWKS, export, encrypt and decrypt.
 * Signing (and HMAC verification) opens the sealed key once and keeps the prepared key in the
 * manager's opened-key cache (src/internal/opened-cache.ts), looked up only after the record was
 * loaded and checked, so rotation, revocation and expiry apply to the next call; export opens it
 * for the one call; verification of asymmetric keys only reads the public JWK.
 * @internal
 * @module
 */

import type { Jwk } from '../../crypto/jwk-types.js';
import {
  type PreparedSigner,
  type PreparedVerifier,
  prepareSigner,
  prepareVerifier,
  type SigningAlgorithm,
} from '../../crypto/signing.js';
import { KeywardenError } from '../../errors.js';
import { utf8Encode } from '../../internal/bytes.js';
import { parseInput } from '../../internal/validate.js';
import type { StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { StoreContext } from '../../records/context.js';
import { loadNamedRecord, type NamedScope } from '../../records/named.js';
import { acceptedVersions, versionAccepted } from '../../records/record.js';
import { assertUsable, DEFAULT_ENVIRONMENT, isUsable } from '../../records/scope.js';
import type { Jwks, JwksKey } from '../key-types.js';
import { aesCiphertextKid, aesDecrypt, aesEncrypt } from './aes.js';
import { toJwksKey } from './info.js';
import { openKeyJwk } from './material.js';
import {
  cipherOptionsSchema,
  exportOptionsSchema,
  type KeySpec,
  keyNameSchema,
  keyScopeSchema,
  specOf,
  toDataBytes,
  toSignatureBytes,
} from './schemas.js';

const STATE_ORDER = { current: 0, pending: 1, previous: 2, retired: 3 } as const;

/**
 * Names that passed {@link keyNameSchema} (a pure check of an immutable string: one that passed
 * always passes), so signing with the same key again skips the schema. Bounded: emptied when full.
 */
const validNames = new Set<string>();
const VALID_NAMES_MAX = 1024;

function keyName(name: unknown): string {
  if (typeof name === 'string' && validNames.has(name)) return name;
  const parsed = parseInput(keyNameSchema, name, 'name');
  if (validNames.size >= VALID_NAMES_MAX) validNames.clear();
  validNames.add(parsed);
  return parsed;
}

/** The scope of a call without options (what the schema makes of `{}`), shared and frozen. */
const NO_SCOPE: NamedScope = Object.freeze(parseInput(keyScopeSchema, {}, 'options'));

/** The named scope of `options` (`undefined`: none). */
function scopeOf(options: unknown): NamedScope {
  return options === undefined ? NO_SCOPE : parseInput(keyScopeSchema, options ?? {}, 'options');
}

async function loadKey(ctx: StoreContext, name: unknown, scope: NamedScope): Promise<StoredRecord> {
  return loadNamedRecord(ctx, 'key', keyName(name), scope);
}

/** An opened-key cache slot of one version, and what identifies the material it was opened from. */
interface CacheSlot {
  readonly version: StoredVersion;
  readonly slot: string;
  readonly fingerprint: string;
}

/** What sign and verify read of a frozen key record, computed once per record object. */
interface KeyView {
  readonly spec: KeySpec;
  /** The current version's signing slot (null: no current version). */
  readonly sign: CacheSlot | null;
  /** A verify slot per version, in the order verify tries them (current, pending, previous, retired; newest first). */
  readonly verify: readonly CacheSlot[];
}

const keyViews = new WeakMap<StoredRecord, KeyView>();

/**
 * The key view of a deeply frozen record (the memory adapter's: nothing in it can change while the
 * object lives), kept per record object; null for any other record (read it afresh instead).
 */
function keyViewOf(record: StoredRecord): KeyView | null {
  const known = keyViews.get(record);
  if (known !== undefined) return known;
  const versions = record.versions;
  if (!Object.isFrozen(record) || !Object.isFrozen(record.data) || !Object.isFrozen(versions)) return null;
  for (let i = 0; i < versions.length; i++) if (!Object.isFrozen(versions[i])) return null;
  const spec = specOf(record.data);
  const alg = spec.alg as string;
  let current: StoredVersion | undefined;
  for (let i = 0; i < versions.length && current === undefined; i++) {
    if ((versions[i] as StoredVersion).state === 'current') current = versions[i];
  }
  const sign =
    current === undefined
      ? null
      : Object.freeze({
          version: current,
          slot: cacheSlot('sign', record, current, alg),
          fingerprint: sealedFingerprint(current),
        });
  const verify = [...versions].sort(byPreference).map((v) =>
    Object.freeze({
      version: v,
      slot: cacheSlot('verify', record, v, alg),
      fingerprint: verifyFingerprint(v, spec.type === 'hmac'),
    }),
  );
  const view: KeyView = Object.freeze({ spec: Object.freeze(spec), sign, verify: Object.freeze(verify) });
  keyViews.set(record, view);
  return view;
}

/**
 * Record ids of names of the default scope (no options) that were loaded, per manager, so a repeat
 * call finds the record without building the name index key. Only a hint: the record read by id
 * must still answer the name (kind, name, default environment, no tenant), else the name is looked
 * up as usual. Bounded: emptied when full.
 */
const namedIds = new WeakMap<StoreContext, Map<string, string>>();
const NAMED_IDS_MAX = 1024;

function rememberName(ctx: StoreContext, record: StoredRecord): void {
  if (ctx.readChecked === undefined) return; // only an in-process adapter can answer without a promise
  let ids = namedIds.get(ctx);
  if (ids === undefined) {
    ids = new Map();
    namedIds.set(ctx, ids);
  }
  if (ids.size >= NAMED_IDS_MAX && !ids.has(record.name)) ids.clear();
  ids.set(record.name, record.id);
}

/**
 * The record of `name` in the default scope without a promise: the id remembered for the name,
 * read through the adapter's synchronous twin, when the storage guard already checked that very
 * record object (shape and MAC) and it still answers the name. Undefined otherwise.
 */
function recordAtHand(ctx: StoreContext, name: unknown): StoredRecord | undefined {
  if (typeof name !== 'string' || !validNames.has(name)) return undefined;
  const id = namedIds.get(ctx)?.get(name);
  if (id === undefined) return undefined;
  const record = ctx.readChecked?.(id);
  if (record === undefined || record === null) return undefined;
  return record.kind === 'key' &&
    record.uniqueName &&
    record.name === name &&
    record.environment === DEFAULT_ENVIRONMENT &&
    record.tenantId === null
    ? record
    : undefined;
}

function currentOf(record: StoredRecord): StoredVersion {
  let v: StoredVersion | undefined;
  const versions = record.versions; // indexed: a frozen array is slow to search with find()
  for (let i = 0; i < versions.length && v === undefined; i++) {
    if ((versions[i] as StoredVersion).state === 'current') v = versions[i];
  }
  if (!v) throw new KeywardenError('ERR_INVALID_STATE', 'key has no current version');
  return v;
}

const byPreference = (a: StoredVersion, b: StoredVersion): number =>
  STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.version - a.version;

function accepted(record: StoredRecord, now: number): StoredVersion[] {
  return acceptedVersions(record, now).sort(byPreference);
}

/**
 * Signs with the current version. @see KeysView.sign
 * @example
 * ```ts
 * const sig = await signWithKey(ctx, 'jwt', 'payload', {});
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (aes key, inactive, expired).
 */
export function signWithKey(
  ctx: StoreContext,
  name: unknown,
  data: unknown,
  options: unknown,
): Promise<Uint8Array> {
  if (options === undefined) {
    try {
      const signed = signAtHand(ctx, name, data);
      if (signed !== undefined) return signed;
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return signLoaded(ctx, name, data, options);
}

/**
 * The time of a sign call once the key may sign: not an AES key, and usable now (else its opened
 * material is dropped from the cache and the reason thrown). Shared by {@link signAtHand} and
 * {@link signLoaded} so both refuse in the same order.
 * @throws KeywardenError `ERR_INVALID_STATE` for an AES key; what `assertUsable` throws
 */
function signableAt(ctx: StoreContext, record: StoredRecord, type: string): number {
  if (type === 'aes') throw new KeywardenError('ERR_INVALID_STATE', 'an aes key cannot sign; use encrypt');
  const now = ctx.clock.now();
  try {
    assertUsable(record, now, 'key');
  } catch (error) {
    ctx.openedKeys?.drop(record.id);
    throw error;
  }
  return now;
}

/**
 * {@link signWithKey} without waiting for anything, when everything is at hand: a name (default
 * scope) whose record id is known, that record object already checked by the storage guard, and
 * its opened signer in the cache. Undefined otherwise (then {@link signLoaded} does it all).
 * Throws what signLoaded would reject with for the same call.
 */
function signAtHand(ctx: StoreContext, name: unknown, data: unknown): Promise<Uint8Array> | undefined {
  const record = recordAtHand(ctx, name);
  if (record === undefined) return undefined;
  const bytes = toDataBytes(data, 'data'); // (after a name that passed the schema: signLoaded's order)
  const view = keyViewOf(record);
  if (view === null) return undefined;
  const now = signableAt(ctx, record, view.spec.type);
  const sign = view.sign;
  if (sign === null) throw new KeywardenError('ERR_INVALID_STATE', 'key has no current version');
  const signer = ctx.openedKeys?.get<PreparedSigner>(record.id, sign.slot, sign.fingerprint, now);
  return signer === undefined ? undefined : signer.sign(bytes);
}

async function signLoaded(
  ctx: StoreContext,
  name: unknown,
  data: unknown,
  options: unknown,
): Promise<Uint8Array> {
  const scope = scopeOf(options);
  const bytes = toDataBytes(data, 'data');
  const record = await loadKey(ctx, name, scope);
  if (options === undefined) rememberName(ctx, record);
  const spec = specOf(record.data);
  const now = signableAt(ctx, record, spec.type);
  const version = currentOf(record);
  const alg = spec.alg as SigningAlgorithm;
  const slot = cacheSlot('sign', record, version, alg);
  const fingerprint = sealedFingerprint(version);
  let signer = ctx.openedKeys?.get<PreparedSigner>(record.id, slot, fingerprint, now);
  if (signer !== undefined) return signer.sign(bytes);
  const state = await ctx.ready();
  signer = prepareSigner(await openKeyJwk(ctx, state, record, version), alg);
  if (ctx.openedKeys === undefined) {
    try {
      return await signer.sign(bytes);
    } finally {
      signer.destroy();
    }
  }
  ctx.openedKeys.set(record.id, slot, fingerprint, signer, ctx.clock.now());
  return signer.sign(bytes);
}

/**
 * The cache slot of opened material: the operation, the version, and every label the sealed value
 * is bound to (name, tenant, environment). A store writer who swaps labels between two keys (MAC
 * recomputed or not) therefore misses the cache and meets the envelope's own check (ERR_DECRYPT),
 * instead of being served the material opened under the other labels.
 */
function cacheSlot(op: 'sign' | 'verify', record: StoredRecord, version: StoredVersion, alg: string): string {
  return JSON.stringify([
    op,
    version.version,
    version.kid,
    alg,
    record.name,
    record.tenantId,
    record.environment,
  ]);
}

/** What identifies the material a verifier was prepared from: the sealed value, or the public key (MAC'd with the record). */
function verifyFingerprint(v: StoredVersion, symmetric: boolean): string {
  if (symmetric) return sealedFingerprint(v);
  const pub = v.publicJwk as Record<string, unknown> | null;
  return String(pub?.['x'] ?? pub?.['n']);
}

/** What identifies the sealed value a cache entry was opened from (unique per seal: random data key and nonce). */
function sealedFingerprint(version: StoredVersion): string {
  return version.sealed === null ? '' : version.sealed.ct; // the same string object on a memory store
}

/**
 * Verifies with one accepted version: through its cached verifier, or one prepared now (HMAC keys
 * opened from their sealed value) and cached. The verifier is used in the same synchronous step
 * it was taken from the cache in, so no other call can evict (and destroy) it in between.
 */
async function verifyVersion(
  ctx: StoreContext,
  record: StoredRecord,
  v: StoredVersion,
  type: string,
  alg: SigningAlgorithm,
  now: number,
  bytes: Uint8Array,
  sig: Uint8Array,
  at?: CacheSlot,
): Promise<boolean> {
  const symmetric = type === 'hmac';
  const slot = at?.slot ?? cacheSlot('verify', record, v, alg);
  const fingerprint = at?.fingerprint ?? verifyFingerprint(v, symmetric);
  const hit = ctx.openedKeys?.get<PreparedVerifier>(record.id, slot, fingerprint, now);
  if (hit !== undefined) return hit.verify(bytes, sig);
  let jwk: Jwk | JwksKey | null;
  if (symmetric) jwk = v.sealed === null ? null : await openKeyJwk(ctx, await ctx.ready(), record, v);
  else jwk = toJwksKey(record, v);
  if (jwk === null) return false;
  const verifier = prepareVerifier(jwk, alg);
  if (ctx.openedKeys === undefined) {
    try {
      return await verifier.verify(bytes, sig);
    } finally {
      verifier.destroy();
    }
  }
  ctx.openedKeys.set(record.id, slot, fingerprint, verifier, ctx.clock.now());
  return verifier.verify(bytes, sig);
}

/**
 * Verifies against every accepted version. @see KeysView.verify
 * @example
 * ```ts
 * const ok = await verifyWithKey(ctx, 'jwt', 'payload', sig, {});
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (aes key); never for a bad signature.
 */
export function verifyWithKey(
  ctx: StoreContext,
  name: unknown,
  data: unknown,
  signature: unknown,
  options: unknown,
): Promise<boolean> {
  if (options === undefined) {
    try {
      const verified = verifyAtHand(ctx, name, data, signature);
      if (verified !== undefined) return verified;
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return verifyLoaded(ctx, name, data, signature, options);
}

/**
 * {@link verifyWithKey} without waiting for anything, when everything is at hand (as
 * {@link signAtHand}) and the verifier of the first accepted version is in the cache. Several
 * accepted versions (a rotation overlap, a pending version) are tried in verifyLoaded's order,
 * the next only after the one before refused ({@link verifySlotsFrom}). Undefined otherwise (then
 * {@link verifyLoaded} does it all). Throws what verifyLoaded would reject with.
 */
function verifyAtHand(
  ctx: StoreContext,
  name: unknown,
  data: unknown,
  signature: unknown,
): Promise<boolean> | undefined {
  const record = recordAtHand(ctx, name);
  if (record === undefined) return undefined;
  const bytes = toDataBytes(data, 'data');
  const sig = toSignatureBytes(signature);
  const view = keyViewOf(record);
  if (view === null) return undefined;
  if (view.spec.type === 'aes')
    throw new KeywardenError('ERR_INVALID_STATE', 'an aes key does not sign or verify');
  const now = ctx.clock.now();
  if (sig === null || !isUsable(record, now)) return Promise.resolve(false);
  const slots = view.verify;
  const first = nextAccepted(slots, 0, now);
  if (first < 0) return Promise.resolve(false);
  const at = slots[first] as CacheSlot;
  const hit = ctx.openedKeys?.get<PreparedVerifier>(record.id, at.slot, at.fingerprint, now);
  if (hit === undefined) return undefined; // verifyLoaded opens it (and caches it for the next call)
  const verdict = hit.verify(bytes, sig);
  const next = nextAccepted(slots, first + 1, now);
  return next < 0
    ? verdict
    : verdict.then((ok) => ok || verifySlotsFrom(ctx, record, view, next, now, bytes, sig));
}

/** The index of the first slot from `from` on whose version is accepted at `now`, or -1. */
function nextAccepted(slots: readonly CacheSlot[], from: number, now: number): number {
  for (let i = from; i < slots.length; i++)
    if (versionAccepted((slots[i] as CacheSlot).version, now)) return i;
  return -1;
}

/**
 * The rest of {@link verifyAtHand} after a version refused: the accepted version at slot `i`, then
 * the next accepted ones while each refuses, in verifyLoaded's order, with the same `now`. Each
 * verifier is taken from the cache in the synchronous step that uses it, or opened and cached
 * (verifyVersion) when the cache has none. Retired versions and previous ones past their overlap
 * are never tried.
 */
async function verifySlotsFrom(
  ctx: StoreContext,
  record: StoredRecord,
  view: KeyView,
  i: number,
  now: number,
  bytes: Uint8Array,
  sig: Uint8Array,
): Promise<boolean> {
  const alg = view.spec.alg as SigningAlgorithm;
  const slots = view.verify;
  for (let at = i; at >= 0; at = nextAccepted(slots, at + 1, now)) {
    const s = slots[at] as CacheSlot;
    if (await verifyVersion(ctx, record, s.version, view.spec.type, alg, now, bytes, sig, s)) return true;
  }
  return false;
}

async function verifyLoaded(
  ctx: StoreContext,
  name: unknown,
  data: unknown,
  signature: unknown,
  options: unknown,
): Promise<boolean> {
  const scope = scopeOf(options);
  const bytes = toDataBytes(data, 'data');
  const sig = toSignatureBytes(signature);
  const record = await loadKey(ctx, name, scope);
  if (options === undefined) rememberName(ctx, record);
  const spec = specOf(record.data);
  if (spec.type === 'aes')
    throw new KeywardenError('ERR_INVALID_STATE', 'an aes key does not sign or verify');
  const now = ctx.clock.now();
  if (sig === null || !isUsable(record, now)) return false;
  const alg = spec.alg as SigningAlgorithm;
  for (const v of accepted(record, now)) {
    if (await verifyVersion(ctx, record, v, spec.type, alg, now, bytes, sig)) return true;
  }
  return false;
}

/**
 * The JWKS of an asymmetric key: pending, current and previous (still accepted) versions.
 * @example
 * ```ts
 * const { keys } = await keyJwks(ctx, 'jwt', {});
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (symmetric key).
 */
export async function keyJwks(ctx: StoreContext, name: unknown, options: unknown): Promise<Jwks> {
  const scope = scopeOf(options);
  const record = await loadKey(ctx, name, scope);
  const spec = specOf(record.data);
  if (spec.type === 'hmac' || spec.type === 'aes') {
    throw new KeywardenError('ERR_INVALID_STATE', `a ${spec.type} key is symmetric and has no public JWKS`);
  }
  const now = ctx.clock.now();
  if (!isUsable(record, now)) return { keys: [] };
  const keys: JwksKey[] = [];
  for (const v of accepted(record, now)) {
    const entry = toJwksKey(record, v);
    if (entry !== null) keys.push(entry);
  }
  return { keys };
}

/**
 * Exports a version's public JWK, or its private one with `includePrivate`. Audited (fail closed).
 * @example
 * ```ts
 * const jwk = await exportKey(ctx, 'jwt', { includePrivate: false });
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND` (key or `options.version`),
 *   `ERR_INVALID_STATE` (public export of a symmetric key, destroyed material), `ERR_DECRYPT`, `ERR_AUDIT`.
 */
export async function exportKey(ctx: StoreContext, name: unknown, options: unknown): Promise<Jwk | JwksKey> {
  const o = parseInput(exportOptionsSchema(), options ?? {}, 'options');
  const record = await loadKey(ctx, name, o);
  const spec = specOf(record.data);
  const version =
    o.version === undefined ? currentOf(record) : record.versions.find((v) => v.version === o.version);
  if (!version)
    throw new KeywardenError('ERR_NOT_FOUND', `key has no version ${o.version}`, {
      field: 'options.version',
    });
  const includePrivate = o.includePrivate === true;
  let out: Jwk | JwksKey;
  if (includePrivate) {
    out = await openKeyJwk(ctx, await ctx.ready(), record, version);
    out.alg = spec.alg;
  } else {
    const entry = toJwksKey(record, version);
    if (entry === null) {
      throw new KeywardenError(
        'ERR_INVALID_STATE',
        `a ${spec.type} key has no public part; pass includePrivate: true to export the key itself`,
        { field: 'options.includePrivate' },
      );
    }
    out = entry;
  }
  await ctx.audit({
    type: 'key.exported',
    recordId: record.id,
    kind: 'key',
    version: version.version,
    tenantId: record.tenantId,
    data: { format: 'jwk', includePrivate },
  });
  return out;
}

function aadOf(aad: string | Uint8Array | undefined): Uint8Array {
  if (aad === undefined) return new Uint8Array(0);
  return typeof aad === 'string' ? utf8Encode(aad) : aad;
}

/**
 * Encrypts with the current version of an aes key. @see KeysView.encrypt
 * @example
 * ```ts
 * const ct = await encryptWithKey(ctx, 'files', bytes, { aad: 'file:42' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (not aes, inactive).
 */
export async function encryptWithKey(
  ctx: StoreContext,
  name: unknown,
  plaintext: unknown,
  options: unknown,
): Promise<Uint8Array> {
  const o = parseInput(cipherOptionsSchema(), options ?? {}, 'options');
  const bytes = toDataBytes(plaintext, 'plaintext');
  const record = await loadKey(ctx, name, o);
  if (specOf(record.data).type !== 'aes')
    throw new KeywardenError('ERR_INVALID_STATE', 'only aes keys encrypt');
  assertUsable(record, ctx.clock.now(), 'key');
  const version = currentOf(record);
  const jwk = await openKeyJwk(ctx, await ctx.ready(), record, version);
  if (jwk.kty !== 'oct' || version.kid === null)
    throw new KeywardenError('ERR_DECRYPT', 'sealed key is not an aes key');
  return aesEncrypt(jwk.k, version.kid, bytes, aadOf(o.aad));
}

/**
 * Decrypts with the version named in the ciphertext (it must still be accepted).
 * @example
 * ```ts
 * declare const ct: unknown;
 * const bytes = await decryptWithKey(ctx, 'files', ct, { aad: 'file:42' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (not aes, inactive),
 *   `ERR_DECRYPT` (malformed, tampered, wrong aad, unknown or retired version).
 */
export async function decryptWithKey(
  ctx: StoreContext,
  name: unknown,
  ciphertext: unknown,
  options: unknown,
): Promise<Uint8Array> {
  const o = parseInput(cipherOptionsSchema(), options ?? {}, 'options');
  if (!(ciphertext instanceof Uint8Array)) throw parseInputError();
  const record = await loadKey(ctx, name, o);
  if (specOf(record.data).type !== 'aes')
    throw new KeywardenError('ERR_INVALID_STATE', 'only aes keys decrypt');
  const now = ctx.clock.now();
  assertUsable(record, now, 'key');
  const kid = aesCiphertextKid(ciphertext);
  const version = accepted(record, now).find((v) => v.kid === kid);
  if (!version)
    throw new KeywardenError('ERR_DECRYPT', 'no accepted version of this key made the ciphertext');
  const jwk = await openKeyJwk(ctx, await ctx.ready(), record, version);
  if (jwk.kty !== 'oct') throw new KeywardenError('ERR_DECRYPT', 'sealed key is not an aes key');
  return aesDecrypt(jwk.k, ciphertext, aadOf(o.aad));
}

function parseInputError(): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', 'ciphertext must be a Uint8Array', { field: 'ciphertext' });
}
