/**
 * GitHub's secret-scanning signing keys: parsing the PEM public keys GitHub publishes, a cache with
 * a time to live and one rate-limited refetch on an unknown key id, and the ECDSA P-256 / SHA-256
 * check of a DER signature over the raw request body (through noble; high-S signatures are
 * accepted, as OpenSSL and GitHub produce them). Portable: no node:*.
 * @module
 */
import { p256 } from '@noble/curves/nist.js';
import { constantTimeEqual, fromBase64Url } from '../internal/bytes.js';
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
  try {
    p256.Point.fromBytes(point).assertValidity();
  } catch {
    return null;
  }
  return point;
}

/**
 * True when `signatureB64` (base64 of a DER ECDSA signature) is a valid P-256 / SHA-256 signature
 * of exactly `body` under `point`. Never throws: a malformed signature is simply invalid.
 *
 * @example
 * ```ts
 * declare const rawBody: Uint8Array;
 * declare const point: Uint8Array;
 * verifyGitHubSignature(rawBody, request.headers.get('github-public-key-signature'), point);
 * ```
 * @throws never
 */
export function verifyGitHubSignature(body: Uint8Array, signatureB64: unknown, point: Uint8Array): boolean {
  if (typeof signatureB64 !== 'string' || signatureB64.length === 0) return false;
  if (signatureB64.length > MAX_SIGNATURE_B64) return false;
  try {
    const der = fromBase64Url(signatureB64.trim());
    return p256.verify(der, body, point, { format: 'der', lowS: false, prehash: true });
  } catch {
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
