/**
 * GitHub's secret-scanning signing keys: parsing the PEM public keys GitHub publishes, a cache with
 * a time to live and one rate-limited refetch on an unknown key id, and the ECDSA P-256 / SHA-256
 * check of a DER signature over the raw request body (through the crypto backend: native on
 * Node, Bun and Deno, WebCrypto elsewhere; high-S signatures are accepted, as OpenSSL and GitHub
 * produce them). Strict DER as noble parses it; no curve library. Portable: no node:*.
 * @module
 */
import { decompressEcPoint, EC_CURVES, isEcPoint } from '../crypto/curves.js';
import { verifyWithJwk } from '../crypto/signing.js';
import { isKeywardenError } from '../errors.js';
import { constantTimeEqual, fromBase64Url, toBase64Url } from '../internal/bytes.js';
import type { Clock } from '../ports/clock.js';

/**
 * One entry of `public_keys` in GitHub's answer at
 * `https://api.github.com/meta/public_keys/secret_scanning`.
 */
export interface GitHubPublicKey {
  /** The id GitHub sends in `Github-Public-Key-Identifier`. */
  key_identifier: string;
  /** SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`) of a P-256 key. */
  key: string;
  /** Whether GitHub signs with it now (older keys stay listed while rotation settles). */
  is_current?: boolean;
}

/** Returns GitHub's current `public_keys` array. */
export type GitHubPublicKeysSource = () => Promise<readonly GitHubPublicKey[]>;

/**
 * Where GitHub publishes its secret-scanning keys.
 *
 * @example
 * ```ts
 * GITHUB_SECRET_SCANNING_KEYS_URL; // 'https://api.github.com/meta/public_keys/secret_scanning'
 * ```
 */
export const GITHUB_SECRET_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

/** DER prefix of a P-256 SubjectPublicKeyInfo with an uncompressed point (RFC 5480). */
const P256_SPKI_PREFIX = new Uint8Array([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
  0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
]);
const POINT_BYTES = 65;
/** A DER ECDSA-P-256 signature is at most 72 bytes; base64 of that is 96 characters. */
const MAX_SIGNATURE_B64 = 128;
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
const PEM_PATTERN = /^\s*-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]{1,1024})-----END PUBLIC KEY-----\s*$/;

/**
 * The uncompressed P-256 point of a SubjectPublicKeyInfo PEM, or null when it is anything else
 * (another curve or algorithm, a compressed point, a point off the curve, trailing bytes).
 *
 * @example
 * ```ts
 * declare const pem: unknown;
 * const point = parseP256PublicKeyPem(pem); // Uint8Array(65) starting with 0x04, or null
 * ```
 * @throws never
 */
export function parseP256PublicKeyPem(pem: unknown): Uint8Array | null {
  if (typeof pem !== 'string' || pem.length > 2048) return null;
  const m = PEM_PATTERN.exec(pem);
  if (m === null) return null;
  let der: Uint8Array;
  try {
    der = fromBase64Url((m[1] as string).replace(/\s+/g, ''));
  } catch {
    return null;
  }
  if (der.length !== P256_SPKI_PREFIX.length + POINT_BYTES) return null;
  if (!constantTimeEqual(der.subarray(0, P256_SPKI_PREFIX.length), P256_SPKI_PREFIX)) return null;
  const point = der.slice(P256_SPKI_PREFIX.length);
  return point[0] === 4 && isEcPoint('P-256', point.subarray(1, 33), point.subarray(33)) ? point : null;
}

const P256_N = EC_CURVES['P-256'].n;
/** A DER ECDSA-P-256 signature is at most 72 bytes; anything over 2 · 32 + 16 is refused unparsed. */
const MAX_DER_BYTES = 80;

/**
 * Reads one DER INTEGER at `at` into `out` (32 bytes, big-endian): a short-form length of 1 to
 * 33 bytes, positive, minimally encoded, 1 ≤ value < n. Returns the offset after it, or -1.
 */
function derScalar(der: Uint8Array, at: number, end: number, out: Uint8Array): number {
  if (at + 2 > end || der[at] !== 0x02) return -1;
  const len = der[at + 1] as number;
  const from = at + 2;
  const to = from + len;
  if (len === 0 || len > 33 || to > end) return -1; // (a long-form length is ≥ 0x80: refused here)
  const first = der[from] as number;
  if (first & 0x80) return -1; // negative
  if (len > 1 && first === 0 && !((der[from + 1] as number) & 0x80)) return -1; // a needless leading zero
  let v = 0n;
  for (let i = from; i < to; i++) v = (v << 8n) | BigInt(der[i] as number);
  if (v === 0n || v >= P256_N) return -1;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return to;
}

/**
 * `r || s` (64 bytes) of a DER ECDSA-P-256 signature, or null for anything but exactly
 * `SEQUENCE { INTEGER r, INTEGER s }` in strict DER (short-form lengths, nothing after either
 * part) with 1 ≤ r, s < n: the signatures noble's DER parser and range check accept.
 */
function derToRaw(der: Uint8Array): Uint8Array | null {
  if (der.length < 2 || der.length > MAX_DER_BYTES || der[0] !== 0x30) return null;
  if (der[1] !== der.length - 2) return null; // short form, and nothing after the sequence
  const raw = new Uint8Array(64);
  const afterR = derScalar(der, 2, der.length, raw.subarray(0, 32));
  if (afterR < 0) return null;
  return derScalar(der, afterR, der.length, raw.subarray(32)) === der.length ? raw : null;
}

/** The public JWK of a SEC 1 P-256 point (uncompressed or compressed) on the curve, or null. */
function pointJwk(point: unknown): { kty: 'EC'; crv: 'P-256'; x: string; y: string } | null {
  if (!(point instanceof Uint8Array)) return null;
  let xy: { x: Uint8Array; y: Uint8Array } | null = null;
  if (point.length === 65 && point[0] === 4) {
    xy = { x: point.subarray(1, 33), y: point.subarray(33) };
    if (!isEcPoint('P-256', xy.x, xy.y)) return null;
  } else {
    xy = decompressEcPoint('P-256', point);
  }
  return xy === null ? null : { kty: 'EC', crv: 'P-256', x: toBase64Url(xy.x), y: toBase64Url(xy.y) };
}

/**
 * Resolves true when `signatureB64` (base64 of a DER ECDSA signature) is a valid P-256 / SHA-256
 * signature of exactly `body` under `point` (SEC 1: uncompressed as {@link parseP256PublicKeyPem}
 * returns it, or compressed). A malformed signature, body or point is simply invalid (false);
 * high-S signatures are valid. Runs on the crypto backend (native ECDSA on Node, Bun and Deno,
 * WebCrypto elsewhere).
 *
 * @example
 * ```ts
 * declare const rawBody: Uint8Array;
 * declare const point: Uint8Array;
 * await verifyGitHubSignature(rawBody, request.headers.get('github-public-key-signature'), point);
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` (rejects) on a runtime with neither native crypto nor
 *   WebCrypto ECDSA P-256 (and no noble registered); never for a bad signature.
 */
export async function verifyGitHubSignature(
  body: Uint8Array,
  signatureB64: unknown,
  point: Uint8Array,
): Promise<boolean> {
  if (typeof signatureB64 !== 'string' || signatureB64.length === 0) return false;
  if (signatureB64.length > MAX_SIGNATURE_B64 || !(body instanceof Uint8Array)) return false;
  let raw: Uint8Array | null;
  try {
    raw = derToRaw(fromBase64Url(signatureB64.trim()));
  } catch {
    return false; // not base64
  }
  const jwk = raw === null ? null : pointJwk(point);
  if (raw === null || jwk === null) return false;
  try {
    return await verifyWithJwk(jwk, 'ES256', body, raw);
  } catch (error) {
    if (isKeywardenError(error, 'ERR_UNSUPPORTED')) throw error;
    return false;
  }
}

/**
 * True when `id` looks like a key identifier (GitHub's are 64 hex characters).
 *
 * @example
 * ```ts
 * isKeyIdentifier('90a4…4f4a'); // true
 * ```
 * @throws never
 */
export function isKeyIdentifier(id: unknown): id is string {
  return typeof id === 'string' && KEY_ID_PATTERN.test(id);
}

/** Settings of {@link createPublicKeyCache}. */
export interface PublicKeyCacheOptions {
  source: GitHubPublicKeysSource;
  clock: Clock;
  /** How long a fetched key set is used before it is fetched again (ms). */
  ttl: number;
  /** Least time between two refetches caused by an unknown key id (ms). */
  refetchCooldown: number;
}

/** Why a key could not be found. */
export type KeyLookup =
  | { ok: true; point: Uint8Array }
  | { ok: false; reason: 'unknown_key' }
  | { ok: false; reason: 'unavailable'; error: unknown };

/** A cache of GitHub's public keys. */
export interface PublicKeyCache {
  /** The point of key `id`: from the cache, after a fetch when stale, or after one refetch when unknown. */
  get(id: string): Promise<KeyLookup>;
}

/** Parses a `public_keys` answer into id → point; malformed entries are skipped. */
function toKeyMap(keys: unknown): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (!Array.isArray(keys)) return out;
  for (const entry of keys.slice(0, 64)) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { key_identifier: id, key } = entry as Record<string, unknown>;
    if (!isKeyIdentifier(id)) continue;
    const point = parseP256PublicKeyPem(key);
    if (point !== null) out.set(id, point);
  }
  return out;
}

/**
 * Builds the key cache: a fetch when empty or older than `ttl`; on an unknown id, one refetch
 * unless another one happened within `refetchCooldown` (so random ids cannot make us hammer
 * GitHub's API). Concurrent callers share one fetch.
 *
 * @example
 * ```ts
 * declare const source: GitHubPublicKeysSource;
 * declare const keyId: string;
 * const cache = createPublicKeyCache({ source, clock, ttl: 3_600_000, refetchCooldown: 60_000 });
 * const found = await cache.get(keyId);
 * ```
 * @throws never itself; `get` never rejects (a failing source gives `{ ok: false, reason: 'unavailable' }`).
 */
export function createPublicKeyCache(options: PublicKeyCacheOptions): PublicKeyCache {
  let keys: Map<string, Uint8Array> | null = null;
  let fetchedAt = 0;
  let inFlight: Promise<Map<string, Uint8Array>> | null = null;

  const refresh = (): Promise<Map<string, Uint8Array>> => {
    if (inFlight === null) {
      inFlight = (async () => {
        try {
          const next = toKeyMap(await options.source());
          keys = next;
          fetchedAt = options.clock.now();
          return next;
        } finally {
          inFlight = null;
        }
      })();
    }
    return inFlight;
  };

  return {
    async get(id) {
      try {
        const now = options.clock.now();
        let current = keys;
        let fresh = false;
        if (current === null || now - fetchedAt >= options.ttl) {
          current = await refresh();
          fresh = true;
        }
        let point = current.get(id);
        if (point === undefined && !fresh && options.clock.now() - fetchedAt >= options.refetchCooldown) {
          point = (await refresh()).get(id);
        }
        return point === undefined ? { ok: false, reason: 'unknown_key' } : { ok: true, point };
      } catch (error) {
        return { ok: false, reason: 'unavailable', error };
      }
    },
  };
}

/**
 * The default key source: GitHub's endpoint through the platform `fetch`.
 *
 * @example
 * ```ts
 * const keys = await fetchGitHubPublicKeys();
 * ```
 * @throws Error when the request fails or the answer is not `{ public_keys: [...] }`.
 */
export async function fetchGitHubPublicKeys(): Promise<GitHubPublicKey[]> {
  const response = await fetch(GITHUB_SECRET_SCANNING_KEYS_URL, {
    headers: { accept: 'application/vnd.github+json' },
    redirect: 'error',
  });
  if (!response.ok) throw new Error(`GitHub public keys: HTTP ${response.status}`);
  const body = (await response.json()) as { public_keys?: unknown };
  if (!Array.isArray(body?.public_keys)) throw new Error('GitHub public keys: no public_keys array');
  return body.public_keys as GitHubPublicKey[];
}
