/**
 * Public types of `km.keys`.
 * @module
 */

import type { Jwk, PublicJwk } from '../crypto/jwk-types.js';
import type { Duration } from '../duration.js';
import type { IterateQuery } from '../internal/iterate.js';
import type { JsonObject } from '../ports/json.js';
import type { RecordStatus, VersionState } from '../ports/storage.js';
import type { RotationPolicyInput } from '../records/rotation-types.js';
import type { JwtClaims, JwtVerifyResult, SignJwtOptions, VerifyJwtOptions } from './jwt-types.js';

/** The kinds of cryptographic key `km.keys` manages. */
export type KeyType = 'hmac' | 'aes' | 'ed25519' | 'ecdsa' | 'rsa';

/** The algorithm a key is used with (JOSE names). */
export type KeyAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'A256GCM'
  | 'EdDSA'
  | 'ES256'
  | 'ES384'
  | 'ES256K'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512';

/** ECDSA curves. */
export type KeyCurve = 'P-256' | 'P-384' | 'secp256k1';

/** RSA modulus lengths. */
export type RsaModulusLength = 2048 | 3072 | 4096;

/** Where a key lives: environment (default `'default'`) and tenant (default none). */
export interface KeyScope {
  /** The key's environment (1–64 of `[A-Za-z0-9_.-]`); absent: `'default'`. */
  environment?: string | undefined;
  /** The key's tenant; absent or `null`: none. */
  tenantId?: string | null | undefined;
}

/**
 * Options of `km.keys.create`. `algorithm` per type: hmac `HS256` (default) / `HS384` / `HS512`;
 * aes `A256GCM`; ed25519 `EdDSA`; ecdsa `ES256` (default) / `ES384` / `ES256K` or the curve name
 * `P-256` / `P-384` / `secp256k1`; rsa `RS256` (default) / `RS384` / `RS512` / `PS256` / `PS384` / `PS512`.
 */
export interface CreateKeyOptions extends KeyScope {
  /** The key's name, unique within its environment and tenant (1–128 characters, no control characters). */
  name: string;
  /** The kind of key; decides the allowed algorithms and what the key can do (only `aes` encrypts). */
  type: KeyType;
  /** The algorithm, or an ECDSA curve name (stored as its `ES*` algorithm); absent: the type's default. */
  algorithm?: KeyAlgorithm | KeyCurve | undefined;
  /** RSA only: 2048 (default), 3072 or 4096. */
  modulusLength?: RsaModulusLength | undefined;
  /** Up to 32 distinct tags of 1–64 `[A-Za-z0-9_.:/-]` characters, for filtering `list`. */
  tags?: string[] | undefined;
  /** Your own JSON object kept with the key (depth ≤ 8, ≤ 16 KiB as canonical JSON, finite numbers). */
  meta?: JsonObject | undefined;
  /** Lifetime of the key; default none. */
  expiresIn?: Duration | null | undefined;
  /** A rotation policy set at create time (schedule anchored now); `null` or absent: none. */
  rotation?: RotationPolicyInput | null | undefined;
}

/** One version of a key, without material. */
export interface KeyVersionInfo {
  /** The version number: 1 at create, one more per rotation, never reused. */
  version: number;
  /**
   * `pending` (in the JWKS and verifies, does not sign), `current` (signs), `previous` (verifies until
   * `retireAt`) or `retired`.
   */
  state: VersionState;
  /** The key id of this version (RFC 7638 thumbprint for asymmetric keys, random for symmetric ones). */
  kid: string;
  /** When the version was made (epoch ms). */
  createdAt: number;
  /** When it became current (epoch ms), or null while pending or if it never did. */
  activatedAt: number | null;
  /** When a previous version stops being accepted (epoch ms, end of its overlap), or null for no end set. */
  retireAt: number | null;
  /** When it was retired (epoch ms), or null. */
  retiredAt: number | null;
}

/** What `km.keys` returns about a key. Never holds private or symmetric material. */
export interface KeyInfo {
  /** The record id (12 base62 characters); rotator methods also take it. */
  id: string;
  /** The key's name, unique within its environment and tenant. */
  name: string;
  /** The kind of key. */
  type: KeyType;
  /** The algorithm every version uses (a curve name given at create is reported as its `ES*` algorithm). */
  algorithm: KeyAlgorithm;
  /** ECDSA curve, or null. */
  curve: KeyCurve | null;
  /** RSA modulus length, or null. */
  modulusLength: RsaModulusLength | null;
  /** The key's environment. */
  environment: string;
  /** The key's tenant, or null. */
  tenantId: string | null;
  /**
   * `active` until the rotator marks it `expired` after `expiresAt` (past its `expiresAt` a key no
   * longer signs, encrypts or decrypts, marked or not).
   */
  status: RecordStatus;
  /** Tags for filtering `list` (empty when none). */
  tags: string[];
  /** Your own JSON object given at create (`{}` when none). */
  meta: JsonObject;
  /** When the key was created (epoch ms). */
  createdAt: number;
  /** When the record last changed (epoch ms). */
  updatedAt: number;
  /** When the key expires (epoch ms), or null when it never does. */
  expiresAt: number | null;
  /** The current version and its kid (null when none is current). */
  version: number | null;
  /** The kid of the current version (what `sign` and `signJwt` use), or null when none is current. */
  kid: string | null;
  /** Compare-and-swap revision of the record: pass it as `expectedRevision` to a later change. */
  revision: number;
  /** Every version, oldest first, with its state (never key material). */
  versions: KeyVersionInfo[];
}

/** Options of `km.keys.delete`. */
export interface DeleteKeyOptions extends KeyScope {
  /** Delete only on this `revision` (the one you read); else `ERR_CONFLICT`, nothing deleted. */
  expectedRevision?: number;
}

/** A page of keys. */
export interface KeyList {
  /** The keys of this page. */
  items: KeyInfo[];
  /** Pass it as `cursor` to get the next page; absent on the last page. */
  cursor?: string;
}

/** Options of `km.keys.list`. */
export interface ListKeysOptions {
  /** Only keys of this environment; absent: every environment. */
  environment?: string | undefined;
  /** Only keys of this tenant; `null`: only keys without a tenant; absent: every tenant. */
  tenantId?: string | null | undefined;
  /** Only keys carrying this tag. */
  tag?: string | undefined;
  /** 1..1000, default 100. */
  limit?: number | undefined;
  /** The `cursor` of the previous page, to get the next one; absent: the first page. */
  cursor?: string | undefined;
}

/** A public JWK as published in a JWKS. */
export type JwksKey = PublicJwk & {
  /** The version's key id: JWT headers name it so verifiers pick this key. */
  kid: string;
  /** The key's algorithm. */
  alg: KeyAlgorithm;
  /** Always `'sig'`: published keys are for verifying signatures. */
  use: 'sig';
};

/** A JSON Web Key Set (RFC 7517 §5). */
export interface Jwks {
  /** The public keys of the pending, current and previous versions. */
  keys: JwksKey[];
}

/** Options of `km.keys.export`. */
export interface ExportKeyOptions extends KeyScope {
  /** Default: the current version. */
  version?: number;
  /** Only `'jwk'` for now. */
  format?: 'jwk';
  /** Export the private (or symmetric) key. Default false: the public JWK. Audited either way. */
  includePrivate?: boolean;
}

/** Options of `km.keys.encrypt` / `decrypt` (aes keys). */
export interface KeyCipherOptions extends KeyScope {
  /** Additional authenticated data; the same must be given to decrypt. */
  aad?: Uint8Array | string;
}

/**
 * `km.keys`: signing and encryption keys, versioned, with a `kid` per version.
 *
 * @example
 * ```ts
 * await km.keys.create({ name: 'jwt', type: 'ecdsa', algorithm: 'ES256' });
 * const sig = await km.keys.sign('jwt', 'header.payload');
 * const ok = await km.keys.verify('jwt', 'header.payload', sig);
 * const jwks = await km.keys.jwks('jwt');
 * ```
 */
export interface KeysView {
  /**
   * Creates a key (version 1, current) with fresh material, sealed under the KMS.
   *
   * @example
   * ```ts
   * await km.keys.create({ name: 'jwt', type: 'ecdsa', algorithm: 'ES256' });
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the field, `ERR_ALREADY_EXISTS`, `ERR_KMS`,
   *   `ERR_AUDIT`, `ERR_STORAGE`.
   */
  create(options: CreateKeyOptions): Promise<KeyInfo>;
  /**
   * The key's info: type, algorithm, versions and their kids (never key material).
   *
   * @example
   * ```ts
   * const { kid, versions } = await km.keys.info('jwt');
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_STORAGE`.
   */
  info(name: string, options?: KeyScope): Promise<KeyInfo>;
  /**
   * One page of keys; follow `cursor` (or use `iterate`).
   *
   * @example
   * ```ts
   * const { items } = await km.keys.list({ environment: 'production' });
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the option, `ERR_STORAGE`.
   */
  list(options?: ListKeysOptions): Promise<KeyList>;
  /**
   * Every key matching the options, one page at a time (the filters of `list`; a `cursor` resumes; `signal` stops the
   * walk, rejecting with `signal.reason`).
   *
   * @example
   * ```ts
   * for await (const k of km.keys.iterate({ tag: 'jwt' })) console.log(k.name, k.kid);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field (on the first `next()`),
   *   `ERR_STORAGE`, `ERR_CLOSED`; `signal.reason` once aborted.
   */
  iterate(options?: IterateQuery<ListKeysOptions>): AsyncIterableIterator<KeyInfo>;
  /** Signs with the current version (hmac, ed25519, ecdsa, rsa). */
  sign(name: string, data: Uint8Array | string, options?: KeyScope): Promise<Uint8Array>;
  /** True when any accepted version (current, pending, previous in overlap) verifies. Never throws for a bad signature. */
  verify(
    name: string,
    data: Uint8Array | string,
    signature: Uint8Array | string,
    options?: KeyScope,
  ): Promise<boolean>;
  /**
   * Signs `claims` as a compact JWT (JWS) with the current version: header `{ alg, typ: 'JWT', kid }`,
   * `alg` the key's own algorithm (HS*, EdDSA, ES256/384/256K, RS*, PS*), `kid` the signing
   * version's (so `jose` and any JWKS client verify it against `jwks(name)`). `iat` is set (unless
   * `issuedAt: false`); `expiresIn`, `notBefore`, `issuer`, `audience`, `subject`, `jwtId` set the
   * registered claims.
   *
   * @example
   * ```ts
   * const token = await km.keys.signJwt('jwt', { sub: 'user_1', scope: 'read' }, { expiresIn: '15m', audience: 'api' });
   * ```
   * @throws KeywardenError `ERR_VALIDATION` (claims, options, a claim given twice), `ERR_NOT_FOUND`,
   *   `ERR_INVALID_STATE` (aes key, inactive or expired key), `ERR_DECRYPT`, `ERR_KMS`, `ERR_STORAGE`.
   */
  signJwt(name: string, claims: JwtClaims, options?: SignJwtOptions): Promise<string>;
  /**
   * Verifies a compact JWT: `alg` must be the key's algorithm (never `none`), `kid` (when present)
   * an accepted version's, the signature valid under an accepted version; then `exp`, `nbf`, `iat`
   * (with `clockTolerance`, `maxTokenAge`), `iss`, `aud`, `sub`, `typ` and `requiredClaims`
   * (default `['exp']`). Returns `{ valid: true, header, payload }` or `{ valid: false, code }`;
   * never throws for a bad token.
   *
   * @example
   * ```ts
   * const r = await km.keys.verifyJwt('jwt', token, { audience: 'api', clockTolerance: '30s' });
   * if (!r.valid) throw new Error(r.code); // 'EXPIRED', 'INVALID_SIGNATURE', 'INVALID_AUDIENCE'...
   * ```
   * @throws KeywardenError `ERR_VALIDATION` (options), `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (aes key), `ERR_STORAGE`.
   */
  verifyJwt(name: string, token: string, options?: VerifyJwtOptions): Promise<JwtVerifyResult>;
  /** Public keys of the pending, current and previous versions (asymmetric keys only). */
  jwks(name: string, options?: KeyScope): Promise<Jwks>;
  /** A version's public JWK, or its private JWK with `includePrivate: true`. Audited as `key.exported`. */
  export(name: string, options?: ExportKeyOptions): Promise<Jwk | JwksKey>;
  /** aes keys: seals `plaintext`; the output names the version's kid, so older versions still decrypt. */
  encrypt(name: string, plaintext: Uint8Array | string, options?: KeyCipherOptions): Promise<Uint8Array>;
  /** aes keys: opens what `encrypt` made. `ERR_DECRYPT` for anything tampered or unknown. */
  decrypt(name: string, ciphertext: Uint8Array, options?: KeyCipherOptions): Promise<Uint8Array>;
  /** True if it existed. With `expectedRevision`, a changed key is `ERR_CONFLICT`. */
  delete(name: string, options?: DeleteKeyOptions): Promise<boolean>;
}
