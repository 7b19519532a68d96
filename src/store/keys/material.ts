/**
 * Key version material: generating a version's key (sealed private / symmetric JWK, plain public
 * JWK, kid) and opening it again. The rotator calls {@link createKeyVersionMaterial} for new versions.
 * @internal
 * @module
 */

import { generateId } from '../../crypto/ids.js';
import { symmetricJwk } from '../../crypto/jwk.js';
import type { Jwk, PublicJwk } from '../../crypto/jwk-types.js';
import { validateJwk } from '../../crypto/jwk-validate.js';
import { generateKeyPair } from '../../crypto/keypairs.js';
import { generateHmacKey, generateSymmetricKey } from '../../crypto/symmetric.js';
import { KeywardenError } from '../../errors.js';
import { utf8Decode, utf8Encode, zeroize } from '../../internal/bytes.js';
import type { JsonObject } from '../../ports/json.js';
import type { StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { StoreContext, StoreState } from '../../records/context.js';
import { bindingOf, type OpenState, openValue, sealValue } from '../../records/envelope.js';
import { makeVersion } from '../../records/record.js';
import { type KeySpec, specOf } from './schemas.js';

/** The parts of a version that hold key material. */
export type KeyVersionMaterial = Pick<StoredVersion, 'kid' | 'sealed' | 'publicJwk'> & { kid: string };

/** What sealing a key version needs of its record: id, key spec (`data`) and labels. */
export type KeyRecordLabels = Pick<StoredRecord, 'id' | 'data' | 'name' | 'tenantId' | 'environment'>;

const HMAC_HASH = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' } as const;

async function generateJwk(
  spec: KeySpec,
): Promise<{ privateJwk: Jwk; publicJwk: PublicJwk | null; kid: string }> {
  if (spec.type === 'hmac' || spec.type === 'aes') {
    const bytes =
      spec.type === 'hmac'
        ? generateHmacKey(HMAC_HASH[spec.alg as keyof typeof HMAC_HASH])
        : generateSymmetricKey(256);
    try {
      const jwk = symmetricJwk(bytes, spec.alg as 'HS256' | 'A256GCM');
      // the RFC 7638 thumbprint of an oct key is a hash of the secret: use a random kid instead
      jwk.kid = generateId(16);
      return { privateJwk: jwk, publicJwk: null, kid: jwk.kid };
    } finally {
      zeroize(bytes);
    }
  }
  const pair =
    spec.type === 'ed25519'
      ? await generateKeyPair({ type: 'ed25519' })
      : spec.type === 'ecdsa'
        ? await generateKeyPair({ type: 'ecdsa', curve: spec.curve ?? 'P-256' })
        : await generateKeyPair({ type: 'rsa', modulusLength: spec.modulusLength ?? 2048 });
  pair.privateJwk.alg = spec.alg;
  pair.publicJwk.alg = spec.alg;
  return { privateJwk: pair.privateJwk, publicJwk: pair.publicJwk, kid: pair.kid };
}

/**
 * Generates the material of version `version` of a key record: a fresh key of the record's type
 * and algorithm, its private (or symmetric) JWK sealed with envelope encryption bound to the
 * record, the version and kind `'key'`, the public JWK in the clear for asymmetric keys, and the kid.
 *
 * @example
 * ```ts
 * const n = nextVersionNumber(record);
 * const material = await createKeyVersionMaterial(ctx, state, record, n);
 * const v = makeVersion({ version: n, state: 'pending', createdAt: now, ...material });
 * ```
 * @throws KeywardenError `ERR_KMS` (wrapping failed), `ERR_UNSUPPORTED` (no WebCrypto RSA).
 */
export async function createKeyVersionMaterial(
  ctx: Pick<StoreContext, 'kms'>,
  state: Pick<StoreState, 'storeId'>,
  record: KeyRecordLabels,
  version: number,
): Promise<KeyVersionMaterial> {
  const spec = specOf(record.data);
  const { privateJwk, publicJwk, kid } = await generateJwk(spec);
  const plaintext = utf8Encode(JSON.stringify(privateJwk));
  try {
    const sealed = await sealValue(ctx, state, plaintext, bindingOf({ ...record, kind: 'key' }, version));
    return { kid, sealed, publicJwk: publicJwk === null ? null : ({ ...publicJwk, kid } as JsonObject) };
  } finally {
    zeroize(plaintext);
  }
}

/**
 * A complete new key version (material + state), for `create` and the rotator.
 *
 * @example
 * ```ts
 * const v = await newKeyVersion(ctx, state, record, { version: 2, state: 'pending', now });
 * ```
 * @throws KeywardenError as {@link createKeyVersionMaterial}.
 */
export async function newKeyVersion(
  ctx: Pick<StoreContext, 'kms'>,
  state: Pick<StoreState, 'storeId'>,
  record: KeyRecordLabels,
  options: { version: number; state: StoredVersion['state']; now: number },
): Promise<StoredVersion> {
  const material = await createKeyVersionMaterial(ctx, state, record, options.version);
  return makeVersion({ version: options.version, state: options.state, createdAt: options.now, ...material });
}

/**
 * Opens a version's private (or symmetric) JWK. Its strings cannot be zeroed: drop it quickly.
 *
 * @example
 * ```ts
 * const jwk = await openKeyJwk(ctx, state, record, version);
 * ```
 * @throws KeywardenError `ERR_INVALID_STATE` (material destroyed), `ERR_DECRYPT` (tampered, moved,
 *   or not a JWK whose kid matches), `ERR_KMS`.
 */
export async function openKeyJwk(
  ctx: Pick<StoreContext, 'kms'>,
  state: OpenState,
  record: Pick<StoredRecord, 'id' | 'name' | 'tenantId' | 'environment'>,
  version: StoredVersion,
): Promise<Jwk> {
  if (version.sealed === null) {
    throw new KeywardenError(
      'ERR_INVALID_STATE',
      `key version ${version.version} has no material (destroyed)`,
    );
  }
  const bytes = await openValue(
    ctx,
    state,
    version.sealed,
    bindingOf({ ...record, kind: 'key' }, version.version),
  );
  let jwk: Jwk;
  try {
    jwk = validateJwk(JSON.parse(utf8Decode(bytes)), 'jwk');
  } catch {
    throw new KeywardenError('ERR_DECRYPT', 'cannot open sealed value: it is not a valid JWK');
  } finally {
    zeroize(bytes);
  }
  if (jwk.kid !== version.kid)
    throw new KeywardenError('ERR_DECRYPT', 'sealed key does not match its version kid');
  return jwk;
}
