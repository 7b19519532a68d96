/**
 * `passphraseKms`: data keys wrapped with AES-256-GCM under a KEK derived from a passphrase with
 * scrypt; the salt and cost parameters live in store meta (`kms.passphrase`).
 * @module
 */

import { scrypt } from '../crypto/kdf.js';
import { KeywardenError, validationError } from '../errors.js';
import { fromBase64Url, utf8Encode, zeroize } from '../internal/bytes.js';
import { isQuotableKey } from '../internal/validate.js';
import type { KmsAdapter, KmsContext, WrappedKey } from '../ports/kms.js';
import type { MetaStore } from '../ports/storage.js';
import {
  loadOrCreateParams,
  paramsKeyId,
  resolveScryptOptions,
  type ScryptParams,
  type StoredPassphraseParams,
} from './passphrase-params.js';
import { createKeyring, deriveWrapKey, type Keyring } from './wrap.js';

export type { ScryptParams } from './passphrase-params.js';

/** Options of {@link passphraseKms}. */
export interface PassphraseKmsOptions {
  /** 8 to 1024 characters (UTF-16 code units, after Unicode NFC normalization). */
  passphrase: string;
  /**
   * scrypt costs used when this store is first initialized (default N = 2^15, r = 8, p = 1;
   * N a power of two from 2^14 to 2^20, r 1..32, p 1..16, 128·r·N ≤ 1 GiB). Once a store has
   * parameters they are read from its meta and these are ignored: the stored ones always win.
   */
  scrypt?: Partial<ScryptParams>;
}

/** The adapter returned by {@link passphraseKms}. */
export interface PassphraseKms extends KmsAdapter {
  readonly id: 'passphrase';
  /** Reads (or creates) the scrypt salt and parameters in `meta`, then derives the KEK. Idempotent. */
  init(meta: MetaStore): Promise<void>;
  wrapKey(dek: Uint8Array, context: KmsContext): Promise<WrappedKey>;
  unwrapKey(wrapped: WrappedKey, context: KmsContext): Promise<Uint8Array>;
  /** True when `wrapped` was not made with this store's current parameters. */
  needsRewrap(wrapped: WrappedKey): boolean;
  /** Zeroes the KEK and the passphrase copy. Later calls reject with `ERR_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

const KNOWN_OPTIONS = new Set(['passphrase', 'scrypt']);
const NOT_INITIALIZED = 'passphraseKms: init() was not called';

/**
 * A KMS for a human-held passphrase (CLI tools, small deployments). `init(meta)` — called by the
 * manager — reads the salt and scrypt costs from store meta, or creates them on first use; the KEK is
 * scrypt(passphrase, salt) through HKDF-SHA256, held in a closure. A wrong passphrase is not detected
 * here: unwrapping then fails with `ERR_DECRYPT` (the manager's canary reports it as
 * `ERR_MASTER_KEY_MISMATCH`).
 *
 * @example
 * ```ts
 * import { passphraseKms } from 'keywarden/kms';
 * const km = createKeyManager({
 *   storage: fileStorage({ dir: '.keywarden', create: true }),
 *   kms: passphraseKms({ passphrase: process.env.KEYWARDEN_PASSPHRASE! }),
 * });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `passphrase`, `scrypt`, `scrypt.N|r|p` or
 *   `options.<name>`. Later: `ERR_KMS` when used before `init()` or when the stored parameters are
 *   corrupt, `ERR_STORAGE` when meta fails, `ERR_CLOSED` after `close()`, `ERR_UNSUPPORTED` (field
 *   `passphrase`) in a browser or Worker without `registerNobleKdfs()` from `keywarden/crypto/noble`.
 */
export function passphraseKms(options: PassphraseKmsOptions): PassphraseKms {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw validationError('options', 'must be an object with passphrase');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw isQuotableKey(key)
        ? validationError(`options.${key}`, 'is not a passphraseKms option')
        : validationError('options', 'has an unknown passphraseKms option');
    }
  }
  const input: unknown = options.passphrase;
  if (typeof input !== 'string') throw validationError('passphrase', 'must be a string');
  const normalized = input.normalize('NFC');
  if (normalized.length < 8 || normalized.length > 1024) {
    throw validationError('passphrase', 'must be 8 to 1024 characters');
  }
  const wanted = resolveScryptOptions(options.scrypt);

  let secret: Uint8Array | null = utf8Encode(normalized);
  let ring: Keyring | null = null;
  let pending: Promise<void> | null = null;
  let boundMeta: MetaStore | null = null;
  let closed = false;

  const closedError = (): KeywardenError =>
    new KeywardenError('ERR_CLOSED', 'passphraseKms: used after close()');

  async function derive(meta: MetaStore): Promise<void> {
    const params: StoredPassphraseParams = await loadOrCreateParams(meta, wanted);
    if (closed || secret === null) throw closedError();
    const salt = fromBase64Url(params.salt);
    let master: Uint8Array;
    try {
      const { N, r, p } = params;
      master = await scrypt(
        secret,
        salt,
        { N, r, p, dkLen: 32, maxmem: 128 * r * (N + p + 1) },
        'passphrase',
      );
    } catch (cause) {
      if (cause instanceof KeywardenError) throw cause; // ERR_UNSUPPORTED: no scrypt in this runtime
      throw new KeywardenError('ERR_KMS', 'passphraseKms: key derivation failed', { cause });
    }
    try {
      if (closed) throw closedError();
      ring = createKeyring({
        kmsId: 'passphrase',
        label: 'passphraseKms',
        current: deriveWrapKey(master, paramsKeyId(params)),
      });
    } finally {
      zeroize(master);
    }
    zeroize(secret);
    secret = null;
  }

  /** The keyring, waiting for an init in progress; ERR_KMS if init was never called. */
  async function ready(): Promise<Keyring> {
    if (closed) throw closedError();
    if (ring === null && pending !== null) await pending;
    if (closed) throw closedError();
    if (ring === null) throw new KeywardenError('ERR_KMS', NOT_INITIALIZED);
    return ring;
  }

  const kms: PassphraseKms = {
    id: 'passphrase',
    async init(meta) {
      if (closed) throw closedError();
      if (
        typeof meta !== 'object' ||
        meta === null ||
        typeof meta.getMeta !== 'function' ||
        typeof meta.setMeta !== 'function'
      ) {
        throw validationError('meta', 'must be a MetaStore (getMeta and setMeta)');
      }
      if (boundMeta !== null && boundMeta !== meta) {
        throw new KeywardenError('ERR_KMS', 'passphraseKms: already initialized with another store');
      }
      if (ring !== null) return;
      if (pending === null) {
        boundMeta = meta;
        pending = derive(meta).catch((error: unknown) => {
          // leave the adapter retryable (e.g. a transient storage failure)
          pending = null;
          boundMeta = null;
          throw error;
        });
      }
      return pending;
    },
    async wrapKey(dek, context) {
      return (await ready()).wrap(dek, context);
    },
    async unwrapKey(wrapped, context) {
      return (await ready()).unwrap(wrapped, context);
    },
    needsRewrap(wrapped) {
      if (closed) throw closedError();
      if (ring === null) throw new KeywardenError('ERR_KMS', NOT_INITIALIZED);
      return ring.needsRewrap(wrapped);
    },
    async close() {
      if (closed) return;
      closed = true;
      ring?.close();
      ring = null;
      zeroize(secret);
      secret = null;
    },
  };
  return Object.freeze(kms);
}
