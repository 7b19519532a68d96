/**
 * `githubSecretScanning(km, options)`: a fetch handler `(Request) => Promise<Response>` for GitHub's
 * secret-scanning partner webhook. GitHub POSTs a JSON array of `{ token, type, url, source }`
 * signed with ECDSA P-256 / SHA-256 over the raw body (headers `Github-Public-Key-Identifier` and
 * `Github-Public-Key-Signature`); every reported keywarden token is revoked with reason `leaked`,
 * audited (`security.token_leaked`) and notified, and the answer labels each token
 * `true_positive` or `false_positive` by the SHA-256 hex of the token (never the token).
 *
 * Answers: 200 feedback array; 400 body not a JSON array of reports; 401 missing or bad signature or
 * unknown key; 405 not POST; 413 body over `maxBodyBytes`; 503 GitHub's keys could not be fetched
 * or the store failed (GitHub delivers again; handling the same report twice is harmless).
 * Portable: no node:*.
 * @module
 */
import { KeywardenError } from '../errors.js';
import { type CapabilityContext, capabilityContext } from '../extension/index.js';
import type { KeyManager } from '../index.js';
import { utf8Decode } from '../internal/bytes.js';
import {
  createPublicKeyCache,
  fetchGitHubPublicKeys,
  type GitHubPublicKeysSource,
  isKeyIdentifier,
  verifyGitHubSignature,
} from './github-keys.js';
import {
  handleLeakReport,
  isLeakRevocableAccess,
  type LeakDeps,
  type LeakLabel,
  type LeakReport,
  type LeakRevocableAccess,
  tokenSha256Hex,
} from './leak-revoke.js';

/** Options of {@link githubSecretScanning}. */
export interface GitHubSecretScanningOptions {
  /**
   * Agent access (`agentAccess(km)` from `keywarden/access`, or anything with `revokeToken`):
   * reported proxy tokens (`kwp_…`) are revoked through it (`verify(token)`, then
   * `sessions.revoke(id, { reason: 'leaked' })`). Without it they are checked as API keys only (and
   * so labelled false positives).
   */
  access?: LeakRevocableAccess;
  /**
   * Returns GitHub's `public_keys` array. Default: fetched from
   * `https://api.github.com/meta/public_keys/secret_scanning` with the platform `fetch`.
   */
  publicKeys?: GitHubPublicKeysSource;
  /** Largest accepted body in bytes (default 1 MiB, at most 16 MiB). */
  maxBodyBytes?: number;
  /** How long fetched keys are trusted before a refetch, ms (default 1 hour). */
  keyCacheTtl?: number;
  /** Least time between refetches caused by an unknown key id, ms (default 60 s). */
  refetchCooldown?: number;
  /** The actor of the revocations and audit events (default `'github-secret-scanning'`). */
  actor?: string;
  /**
   * Called when the store, `access` or the key source fails (the answer is 503 without details).
   * keywarden's own errors never hold a token.
   */
  onError?: (error: unknown) => void;
}

/** One entry of the feedback array GitHub accepts in the answer. */
export interface GitHubLeakFeedback {
  /** Lowercase hex SHA-256 of the reported token. */
  token_hash: string;
  /** The token type GitHub reported with the token, echoed back. */
  token_type: string;
  /** `true_positive` when the token is a real keywarden token of this store, else `false_positive`. */
  label: LeakLabel;
}

const DEFAULT_MAX_BODY = 1 << 20;
const MAX_MAX_BODY = 16 << 20;
const MAX_TOKEN = 4096;
const MAX_FIELD = 4096;
const CONCURRENCY = 8;
/** An actor id as the store takes it: 1-128 characters, no control characters. */
const ACTOR_PATTERN = /^[^\p{Cc}]{1,128}$/u;
const KNOWN = new Set([
  'access',
  'publicKeys',
  'maxBodyBytes',
  'keyCacheTtl',
  'refetchCooldown',
  'actor',
  'onError',
]);

function invalid(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

interface Resolved {
  access: LeakRevocableAccess | undefined;
  publicKeys: GitHubPublicKeysSource;
  maxBodyBytes: number;
  keyCacheTtl: number;
  refetchCooldown: number;
  actor: string;
  onError: ((error: unknown) => void) | undefined;
}

function resolveOptions(options: unknown): Resolved {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('options', 'must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw invalid('options', 'has an unknown key');
  }
  const o = options as GitHubSecretScanningOptions;
  const count = (v: unknown, field: string, fallback: number, min: number, max: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      throw invalid(`options.${field}`, `must be an integer from ${min} to ${max}`);
    }
    return v;
  };
  if (o.access !== undefined && !isLeakRevocableAccess(o.access)) {
    throw invalid('options.access', 'must be agentAccess(km) or have a revokeToken function');
  }
  if (o.publicKeys !== undefined && typeof o.publicKeys !== 'function') {
    throw invalid('options.publicKeys', 'must be a function');
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') {
    throw invalid('options.onError', 'must be a function');
  }
  if (o.actor !== undefined && (typeof o.actor !== 'string' || !ACTOR_PATTERN.test(o.actor))) {
    throw invalid('options.actor', 'must be 1-128 characters without control characters');
  }
  return {
    access: o.access,
    publicKeys: o.publicKeys ?? fetchGitHubPublicKeys,
    maxBodyBytes: count(o.maxBodyBytes, 'maxBodyBytes', DEFAULT_MAX_BODY, 1, MAX_MAX_BODY),
    keyCacheTtl: count(o.keyCacheTtl, 'keyCacheTtl', 3_600_000, 0, 86_400_000),
    refetchCooldown: count(o.refetchCooldown, 'refetchCooldown', 60_000, 0, 86_400_000),
    actor: o.actor ?? 'github-secret-scanning',
    onError: o.onError,
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

const problem = (status: number, error: string, headers?: Record<string, string>) =>
  json(status, { error }, headers);

/** Reads the body up to `max` bytes; null when it is longer. */
async function readBody(request: Request, max: number): Promise<Uint8Array | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) return null;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const optionalText = (v: unknown): string | null | undefined => {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > MAX_FIELD) return undefined;
  return v;
};

/** The reports in a verified body, or null when it is not an array of `{ token, type, url?, source? }`. */
function parseReports(body: Uint8Array): LeakReport[] | null {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(body));
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const out: LeakReport[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
    const { token, type, url, source } = item as Record<string, unknown>;
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN) return null;
    if (typeof type !== 'string' || type.length > MAX_FIELD) return null;
    const u = optionalText(url);
    const s = optionalText(source);
    if (u === undefined || s === undefined) return null;
    out.push({ token, type, url: u === '' ? null : u, source: s === '' ? null : s });
  }
  return out;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Builds the webhook handler. Mount it at the URL you give GitHub (Hono: `app.post('/github/leaks',
 * (c) => handler(c.req.raw))`; Bun/Deno/Workers: pass the `Request`; Node: through an adapter such
 * as `@hono/node-server`). The body must reach it unparsed: the signature covers the raw bytes.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { githubSecretScanning } from 'keywarden/observability';
 * const onLeak = githubSecretScanning(km, { access });
 * new Hono().post('/webhooks/github-secret-scanning', (c) => onLeak(c.req.raw));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `km` or the bad option (at build time). The handler
 *   itself never throws: every failure is an HTTP answer.
 */
export function githubSecretScanning(
  km: KeyManager,
  options?: GitHubSecretScanningOptions,
): (request: Request) => Promise<Response> {
  const ctx: CapabilityContext = capabilityContext(km);
  const o = resolveOptions(options);
  const cache = createPublicKeyCache({
    source: o.publicKeys,
    clock: ctx.clock,
    ttl: o.keyCacheTtl,
    refetchCooldown: o.refetchCooldown,
  });
  const deps: LeakDeps = { km, ctx, access: o.access, actor: o.actor };
  const report = (error: unknown) => {
    try {
      o.onError?.(error);
    } catch {
      // the hook's own failure changes nothing
    }
  };

  return async function handle(request: Request): Promise<Response> {
    if (request.method !== 'POST') return problem(405, 'METHOD_NOT_ALLOWED', { allow: 'POST' });
    let body: Uint8Array | null;
    try {
      body = await readBody(request, o.maxBodyBytes);
    } catch {
      return problem(400, 'BAD_BODY');
    }
    if (body === null) return problem(413, 'BODY_TOO_LARGE');

    const keyId = request.headers.get('github-public-key-identifier');
    const signature = request.headers.get('github-public-key-signature');
    if (!isKeyIdentifier(keyId) || signature === null || signature === '') {
      return problem(401, 'BAD_SIGNATURE');
    }
    const key = await cache.get(keyId);
    if (!key.ok) {
      if (key.reason === 'unavailable') {
        report(key.error);
        return problem(503, 'KEYS_UNAVAILABLE');
      }
      return problem(401, 'BAD_SIGNATURE');
    }
    if (!(await verifyGitHubSignature(body, signature, key.point))) return problem(401, 'BAD_SIGNATURE');

    const reports = parseReports(body);
    if (reports === null) return problem(400, 'BAD_PAYLOAD');

    // The same token reported twice in one delivery is handled once.
    const unique = new Map<string, LeakReport>();
    for (const r of reports) if (!unique.has(r.token)) unique.set(r.token, r);
    let labels: Map<string, LeakLabel>;
    try {
      const outcomes = await pool([...unique.values()], CONCURRENCY, (r) => handleLeakReport(deps, r));
      labels = new Map([...unique.keys()].map((t, i) => [t, outcomes[i]?.label ?? 'false_positive']));
    } catch (error) {
      report(error);
      return problem(503, 'STORE_UNAVAILABLE');
    }
    const feedback: GitHubLeakFeedback[] = reports.map((r) => ({
      token_hash: tokenSha256Hex(r.token),
      token_type: r.type,
      label: labels.get(r.token) ?? 'false_positive',
    }));
    return json(200, feedback);
  };
}
