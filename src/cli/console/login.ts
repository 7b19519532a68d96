/**
 * The console's login: a one-time login link (a random token, single use, short TTL, only its
 * SHA-256 kept) exchanged for a browser session (a random id in an HttpOnly SameSite=Strict
 * cookie, only its SHA-256 kept as the map key) that carries its own CSRF token. Everything is in
 * memory: stopping the console ends every session and link.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { KeywardenError } from '../../errors.js';
import { constantTimeEqual, randomBytes, toBase64Url, utf8Encode } from '../../internal/bytes.js';

/** Options of {@link consoleLogin}. */
export interface ConsoleLoginOptions {
  /** How long a login link stays usable, in ms (default 5 minutes). */
  linkTtlMs?: number;
  /** A session ends after this much inactivity, in ms (default 30 minutes). */
  idleTtlMs?: number;
  /** A session ends this long after login whatever happens, in ms (default 12 hours). */
  absoluteTtlMs?: number;
  /** The clock (epoch ms); default `Date.now`. */
  now?: () => number;
}

/** A logged-in browser session. */
export interface ConsoleSession {
  /** The CSRF token the page sends in `X-CSRF-Token` with every API call. */
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

/** What a redeemed login link gives: the cookie value (shown once, to set the cookie) and the session. */
export interface RedeemedLogin {
  sessionId: string;
  session: ConsoleSession;
  /** Seconds until the session's absolute end, for the cookie's `Max-Age`. */
  maxAgeSeconds: number;
}

/** The login state of one console process. */
export interface ConsoleLogin {
  /** Mints a new login token; any earlier unused one stops working. */
  newLinkToken(): string;
  /** Exchanges a login token for a session (once); null when it is wrong, used or expired. */
  redeem(token: string): RedeemedLogin | null;
  /** The live session of a cookie value (and marks it seen), or null. */
  session(sessionId: string | undefined): ConsoleSession | null;
  /** Ends a session (logout). */
  end(sessionId: string | undefined): void;
  /** The number of live sessions. */
  readonly size: number;
}

const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function positive(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new KeywardenError('ERR_VALIDATION', `${field}: must be a positive integer (ms)`, { field });
  }
  return v;
}

const digest = (token: string): Uint8Array => sha256(utf8Encode(token));
const mapKey = (token: string): string => toBase64Url(digest(token));

/**
 * Creates the login state of a console: one outstanding login link at a time and the sessions.
 * Tokens are compared through their SHA-256 digests in constant time; only digests are kept.
 *
 * @example
 * ```ts
 * const login = consoleLogin({ linkTtlMs: 120_000 });
 * const token = login.newLinkToken(); // print `${origin}/login?token=${token}` once
 * const redeemed = login.redeem(token); // a session; a second redeem returns null
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for a TTL that is not a positive integer.
 */
export function consoleLogin(options: ConsoleLoginOptions = {}): ConsoleLogin {
  const linkTtl = positive(options.linkTtlMs, 5 * 60_000, 'linkTtlMs');
  const idleTtl = positive(options.idleTtlMs, 30 * 60_000, 'idleTtlMs');
  const absoluteTtl = positive(options.absoluteTtlMs, 12 * 60 * 60_000, 'absoluteTtlMs');
  const now = options.now ?? Date.now;
  let link: { digest: Uint8Array; expiresAt: number } | null = null;
  const sessions = new Map<string, ConsoleSession>();

  const alive = (s: ConsoleSession, t: number) => t - s.lastSeenAt < idleTtl && t - s.createdAt < absoluteTtl;

  return {
    newLinkToken() {
      const token = toBase64Url(randomBytes(TOKEN_BYTES));
      link = { digest: digest(token), expiresAt: now() + linkTtl };
      return token;
    },
    redeem(token) {
      const current = link;
      if (current === null || typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
      const t = now();
      if (t >= current.expiresAt) {
        link = null;
        return null;
      }
      if (!constantTimeEqual(digest(token), current.digest)) return null;
      link = null; // single use
      for (const [k, s] of sessions) if (!alive(s, t)) sessions.delete(k);
      const sessionId = toBase64Url(randomBytes(TOKEN_BYTES));
      const session: ConsoleSession = {
        csrfToken: toBase64Url(randomBytes(TOKEN_BYTES)),
        createdAt: t,
        lastSeenAt: t,
      };
      sessions.set(mapKey(sessionId), session);
      return { sessionId, session, maxAgeSeconds: Math.floor(absoluteTtl / 1000) };
    },
    session(sessionId) {
      if (sessionId === undefined || !TOKEN_SHAPE.test(sessionId)) return null;
      const key = mapKey(sessionId);
      const s = sessions.get(key);
      if (s === undefined) return null;
      const t = now();
      if (!alive(s, t)) {
        sessions.delete(key);
        return null;
      }
      s.lastSeenAt = t;
      return s;
    },
    end(sessionId) {
      if (sessionId !== undefined && TOKEN_SHAPE.test(sessionId)) sessions.delete(mapKey(sessionId));
    },
    get size() {
      return sessions.size;
    },
  };
}

/**
 * Constant-time equality of a CSRF token the page sent and the session's.
 *
 * @example
 * ```ts
 * declare const session: { csrfToken: string };
 * if (!csrfMatches(request.headers.get('x-csrf-token'), session.csrfToken)) throw new Error('bad CSRF token');
 * ```
 * @throws never
 */
export function csrfMatches(sent: string | null, expected: string): boolean {
  if (sent === null || !TOKEN_SHAPE.test(sent)) return false;
  return constantTimeEqual(digest(sent), digest(expected));
}
