/**
 * `Idempotency-Key` for creates: a bounded in-memory store, per handler instance (so per
 * process), that replays the first answer for the same key, operator and request within its TTL,
 * refuses the same key with another body (422) and a retry while the first is still running
 * (409). Entries are scoped by operator, so an answer holding a token is never replayed to
 * another operator. Portable: no node:*.
 * @module
 */
import { constantTimeEqualString, toBase64Url, utf8Encode } from '../internal/bytes.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import { HttpProblem } from './problem.js';

/** Options of the idempotency store. */
export interface IdempotencyOptions {
  /** How long an answer is replayed, in ms (default 24 h). */
  ttl?: number;
  /** Most answers kept; the oldest go first (default 1000). */
  maxEntries?: number;
}

/** A stored answer. */
export interface StoredAnswer {
  status: number;
  headers: [string, string][];
  body: string;
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  answer: StoredAnswer | null; // null while the first request runs
}

/** What {@link IdempotencyStore.begin} decided. */
export type IdempotencyStart =
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'run'; finish(answer: StoredAnswer | null): void };

/** The store behind `Idempotency-Key`. */
export interface IdempotencyStore {
  /**
   * Starts a request: replays a finished answer, refuses a clash, or lets it run (then call
   * `finish` with the answer to keep, or null to forget the key, e.g. after an error).
   */
  begin(scope: string, key: string, request: string, now: number): IdempotencyStart;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

function hash(text: string): string {
  return toBase64Url(cryptoBackend().sha256(utf8Encode(text)));
}

/**
 * Validates an `Idempotency-Key` header value (1–255 visible ASCII characters).
 *
 * @example
 * ```ts
 * checkIdempotencyKey('9f1c1d2e-...'); // returns it
 * ```
 * @throws HttpProblem 400 `ERR_VALIDATION` (field `header.idempotency-key`) for a bad value.
 */
export function checkIdempotencyKey(value: string): string {
  if (!KEY_PATTERN.test(value)) {
    throw new HttpProblem(400, 'ERR_VALIDATION', 'Idempotency-Key must be 1-255 visible ASCII characters', {
      field: 'header.idempotency-key',
    });
  }
  return value;
}

/**
 * A bounded in-memory idempotency store.
 *
 * @example
 * ```ts
 * declare const key: string;
 * const store = idempotencyStore({ ttl: 86_400_000, maxEntries: 1000 });
 * const start = store.begin('op_1', key, `POST /api-keys\n${new TextDecoder().decode(body)}`, Date.now());
 * ```
 * @throws never
 */
export function idempotencyStore(options: IdempotencyOptions = {}): IdempotencyStore {
  const ttl = options.ttl ?? 86_400_000;
  const max = options.maxEntries ?? 1000;
  const entries = new Map<string, Entry>();

  function sweep(now: number): void {
    for (const [k, e] of entries) {
      if (e.expiresAt > now) break; // insertion order = expiry order (fixed ttl)
      entries.delete(k);
    }
  }

  return {
    begin(scope, key, request, now) {
      sweep(now);
      const id = hash(`${scope}\n${key}`);
      const fingerprint = hash(request);
      let found = entries.get(id);
      if (found && found.expiresAt <= now) {
        entries.delete(id); // expired (the sweep stops at the first live entry)
        found = undefined;
      }
      if (found) {
        if (!constantTimeEqualString(found.fingerprint, fingerprint)) {
          throw new HttpProblem(
            422,
            'ERR_IDEMPOTENCY_KEY_REUSED',
            'This Idempotency-Key was used with another request',
            { field: 'header.idempotency-key' },
          );
        }
        if (found.answer === null) {
          throw new HttpProblem(409, 'ERR_CONFLICT', 'A request with this Idempotency-Key is still running', {
            field: 'header.idempotency-key',
          });
        }
        return { kind: 'replay', answer: found.answer };
      }
      while (entries.size >= max) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      const entry: Entry = { fingerprint, expiresAt: now + ttl, answer: null };
      entries.set(id, entry);
      return {
        kind: 'run',
        finish(answer) {
          if (answer === null) entries.delete(id);
          else entry.answer = answer;
        },
      };
    },
  };
}
