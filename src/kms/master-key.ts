/**
 * Master keys: parsing the accepted encodings and generating new ones.
 * @module
 */
import { validationError } from '../errors.js';
import { fromBase64Url, fromHex, randomBytes, toBase64Url, toHex, zeroize } from '../internal/bytes.js';

/**
 * Length of a master key in bytes (256 bits).
 *
 * @example
 * ```ts
 * MASTER_KEY_BYTES; // 32
 * ```
 */
export const MASTER_KEY_BYTES = 32;

/**
 * A 32-byte master key: base64url or base64 (43 characters, optionally padded with one `=`),
 * hex (64 characters, any case), or the raw bytes. Surrounding whitespace in a string is ignored
 * (a trailing newline from a secrets file is common); anything else is rejected.
 */
export type MasterKeyInput = string | Uint8Array;

/** Encodings {@link generateMasterKey} can return as a string. */
export type MasterKeyEncoding = 'base64url' | 'hex' | 'base64';

const HEX_64 = /^[0-9a-fA-F]{64}$/;
const B64_43 = /^(?:[A-Za-z0-9_-]{43}|[A-Za-z0-9+/]{43})=?$/;
const FORMS = 'must be 32 bytes given as base64url, base64 (43 chars, optional "=") or hex (64 chars)';

/**
 * Decodes a master key into a NEW 32-byte array (the caller's buffer is copied, never kept).
 * The error names `field` and never contains the value.
 *
 * @example
 * ```ts
 * const bytes = parseMasterKey(process.env.KEYWARDEN_MASTER_KEY, 'masterKey'); // zeroize after use
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `field`.
 * @internal
 */
export function parseMasterKey(input: unknown, field: string): Uint8Array {
  let out: Uint8Array;
  if (input === undefined || input === null) {
    throw validationError(
      field,
      'is required (generate one with generateMasterKey() and keep it in KEYWARDEN_MASTER_KEY)',
    );
  }
  if (input instanceof Uint8Array) {
    if (input.length !== MASTER_KEY_BYTES) throw validationError(field, `must be ${MASTER_KEY_BYTES} bytes`);
    out = Uint8Array.from(input);
  } else if (typeof input === 'string') {
    const text = input.trim();
    if (text.length === 0) throw validationError(field, 'is empty');
    if (HEX_64.test(text)) {
      out = fromHex(text.toLowerCase());
    } else if (B64_43.test(text)) {
      try {
        out = fromBase64Url(text);
      } catch {
        throw validationError(field, `is not canonical base64 (${FORMS})`);
      }
    } else {
      throw validationError(field, FORMS);
    }
  } else {
    throw validationError(field, 'must be a string or a Uint8Array');
  }
  let acc = 0;
  for (let i = 0; i < out.length; i++) acc |= out[i] as number;
  if (acc === 0) {
    zeroize(out);
    throw validationError(field, 'is all zeros (was the buffer zeroized, or is it a placeholder?)');
  }
  return out;
}

/** Options of {@link generateMasterKey}. */
export interface GenerateMasterKeyOptions {
  /** Default `'base64url'` (43 characters, no padding). `'bytes'` returns a Uint8Array. */
  encoding?: MasterKeyEncoding | 'bytes';
}

/**
 * Generates a random 256-bit master key for `localKms`. Keep it outside the store, e.g. in the
 * environment variable `KEYWARDEN_MASTER_KEY` filled from your secret manager; whoever has the key and
 * the store can read every secret.
 *
 * @example
 * ```ts
 * const key = generateMasterKey();                  // 'kP3x...' (base64url, 43 chars)
 * const hex = generateMasterKey({ encoding: 'hex' }); // 64 hex chars
 * const raw = generateMasterKey({ encoding: 'bytes' }); // Uint8Array(32), zeroize it after use
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `encoding`) for an unknown encoding.
 */
export function generateMasterKey(options: { encoding: 'bytes' }): Uint8Array;
export function generateMasterKey(options?: { encoding?: MasterKeyEncoding }): string;
export function generateMasterKey(options?: GenerateMasterKeyOptions): string | Uint8Array;
export function generateMasterKey(options?: GenerateMasterKeyOptions): string | Uint8Array {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw validationError('options', 'must be an object');
  }
  const encoding = options?.encoding ?? 'base64url';
  if (encoding !== 'base64url' && encoding !== 'hex' && encoding !== 'base64' && encoding !== 'bytes') {
    throw validationError('encoding', 'must be one of "base64url", "hex", "base64", "bytes"');
  }
  const key = randomBytes(MASTER_KEY_BYTES);
  if (encoding === 'bytes') return key;
  try {
    if (encoding === 'hex') return toHex(key);
    const b64url = toBase64Url(key);
    if (encoding === 'base64url') return b64url;
    return `${b64url.replace(/-/g, '+').replace(/_/g, '/')}=`;
  } finally {
    zeroize(key);
  }
}
