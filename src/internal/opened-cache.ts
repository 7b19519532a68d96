/**
 * A small cache of opened key material (a signer holding a native key object, or key bytes it
 * zeroes), so `keys.sign` and HMAC `keys.verify` do not unwrap and decrypt the sealed key on every
 * call. Bounded three ways: an entry lives at most `ttlMs` from the moment it was opened (not
 * sliding), at most `max` entries (least recently used dropped first), and it is only ever returned
 * for the same record, version slot and sealed-value fingerprint it was opened from — callers look
 * it up after loading and checking the record, so a rotation, revocation or expiry (made by this
 * process or another sharing the store) applies to the very next call. Every dropped entry is
 * destroyed (its bytes zeroed where it holds bytes). See docs/threat-model.md.
 * @internal
 * @module
 */

/** What the cache holds: anything that can wipe itself. */
export interface OpenedMaterial {
  /** Zeroes what can be zeroed and drops references. Idempotent. */
  destroy(): void;
}

/** Limits of an {@link OpenedKeyCache}. */
export interface OpenedKeyCacheOptions {
  /** Longest life of an entry, in ms, counted from when it was opened. */
  ttlMs: number;
  /** Most entries kept. */
  max: number;
}

/** The cache. */
export interface OpenedKeyCache {
  /** The material opened for `recordId`/`slot` from the sealed value `fingerprint`, when fresh. */
  get<T extends OpenedMaterial>(
    recordId: string,
    slot: string,
    fingerprint: string,
    now: number,
  ): T | undefined;
  /** Keeps `material` (destroying what it replaces and what falls out of the bounds). */
  set(recordId: string, slot: string, fingerprint: string, material: OpenedMaterial, now: number): void;
  /** Destroys every entry of a record (after it was written, rotated, revoked or deleted). */
  drop(recordId: string): void;
  /** Destroys every entry; the cache stays usable. */
  clear(): void;
  /** Entries held now. */
  readonly size: number;
}

interface Entry {
  recordId: string;
  fingerprint: string;
  material: OpenedMaterial;
  expiresAt: number;
}

/**
 * Creates an opened-key cache. `max: 0` (or `ttlMs: 0`) makes a cache that keeps nothing.
 *
 * @example
 * ```ts
 * const cache = createOpenedKeyCache({ ttlMs: 60_000, max: 64 });
 * declare const sealed: SealedValue;
 * declare const signer: OpenedMaterial;
 * cache.set(record.id, 'v3', sealed.ct, signer, clock.now());
 * cache.get(record.id, 'v3', sealed.ct, clock.now()); // signer
 * ```
 * @throws never
 */
export function createOpenedKeyCache(options: OpenedKeyCacheOptions): OpenedKeyCache {
  const entries = new Map<string, Entry>();
  /** No entry expires before this (a lower bound): `set` scans for expired entries only from then on. */
  let nextExpiry = Number.POSITIVE_INFINITY;
  const remove = (key: string, entry: Entry): void => {
    entries.delete(key);
    entry.material.destroy();
  };
  const sweep = (now: number): void => {
    if (now < nextExpiry) return;
    nextExpiry = Number.POSITIVE_INFINITY;
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) remove(key, entry);
      else if (entry.expiresAt < nextExpiry) nextExpiry = entry.expiresAt;
    }
  };
  return {
    get<T extends OpenedMaterial>(recordId: string, slot: string, fingerprint: string, now: number) {
      const key = `${recordId}\n${slot}`;
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now || entry.fingerprint !== fingerprint) {
        remove(key, entry);
        return undefined;
      }
      entries.delete(key); // refresh recency (the expiry does not move)
      entries.set(key, entry);
      return entry.material as T;
    },
    set(recordId, slot, fingerprint, material, now) {
      if (options.max <= 0 || options.ttlMs <= 0) {
        material.destroy();
        return;
      }
      const key = `${recordId}\n${slot}`;
      const old = entries.get(key);
      if (old !== undefined) remove(key, old);
      sweep(now);
      const expiresAt = now + options.ttlMs;
      entries.set(key, { recordId, fingerprint, material, expiresAt });
      if (expiresAt < nextExpiry) nextExpiry = expiresAt;
      while (entries.size > options.max) {
        const [oldestKey, oldest] = entries.entries().next().value as [string, Entry];
        remove(oldestKey, oldest);
      }
    },
    drop(recordId) {
      for (const [key, entry] of entries) if (entry.recordId === recordId) remove(key, entry);
    },
    clear() {
      for (const [key, entry] of entries) remove(key, entry);
    },
    get size() {
      return entries.size;
    },
  };
}
