/**
 * The request path shared by every middleware flavour: read the token, build the verify
 * options and request context, call `km.apiKeys.verify`, and turn the result into either the
 * verified key (plus informative `RateLimit-*` headers) or an HTTP denial. Fails closed: any
 * error from verify is a 503 (500 for a misconfiguration), never a pass. Portable: no node:*.
 * @module
 */
import { isKeywardenError } from '../errors.js';
import type { ApiKeyVerifySuccess, VerifyApiKeyOptions } from '../store/api-key-types.js';
import { type Denial, denial, rateLimitHeaders } from './http-errors.js';
import type { ApiKeyVerifier, ResolvedMiddlewareOptions } from './options.js';
import { firstForwarded, readToken } from './token.js';

/** What a framework adapter reads from its request for the shared authorization step. */
export interface RequestFacts {
  /** Value of the configured token header (null/undefined when absent). */
  header: string | null | undefined;
  /** The socket's peer address, when the runtime knows it. */
  remoteAddress?: string | null | undefined;
  /** `X-Forwarded-For`, used only with `trustProxy: true`. */
  forwardedFor?: string | null | undefined;
  userAgent?: string | null | undefined;
  /** `X-Request-Id`. */
  requestId?: string | null | undefined;
}

/** The outcome of the shared authorization step (`verify`, scopes, headers or a denial). */
export type AuthorizeOutcome =
  | {
      ok: true;
      /** The verify result (never holds the token). */
      result: ApiKeyVerifySuccess;
      /** `RateLimit-*` headers to add to the response (empty without a rate limit). */
      headers: [string, string][];
    }
  | { ok: false; denial: Denial };

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A context string safe for verify (no control characters, bounded), or undefined. */
function clean(value: string | null | undefined, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const s = (HAS_CONTROL.test(value) ? value.replace(CONTROL, '') : value).trim().slice(0, max);
  return s.length > 0 ? s : undefined;
}

function report<Req>(o: ResolvedMiddlewareOptions<Req>, error: unknown, req: Req): void {
  try {
    o.onError?.(error, req);
  } catch {
    // a logging hook never changes the answer
  }
}

/**
 * Verifies the key of one request.
 *
 * @example
 * ```ts
 * const out = await authorize(km, resolveOptions({ scopes: ['files:read'] }), request, {
 *   header: request.headers.get('authorization'),
 * });
 * if (!out.ok) console.log(out.denial.status, out.denial.body); // answer with these
 * ```
 * @throws never: every failure becomes a denial.
 */
export async function authorize<Req>(
  km: ApiKeyVerifier,
  o: ResolvedMiddlewareOptions<Req>,
  req: Req,
  facts: RequestFacts,
): Promise<AuthorizeOutcome> {
  const now = (): number => o.clock.now();
  const read = readToken(o.header, facts.header);
  if (read.kind === 'missing')
    return { ok: false, denial: denial({ code: 'MISSING', realm: o.realm, now: now() }) };

  let scopes: readonly string[];
  const options: VerifyApiKeyOptions = {};
  try {
    scopes = o.scopes(req);
    if (!Array.isArray(scopes)) throw new TypeError('the scopes function must return an array');
    if (scopes.length > 0) options.scopes = scopes as string[]; // verify copies what it keeps
    if (o.cost) options.cost = o.cost(req);
    const tenantId = o.tenantId?.(req);
    if (tenantId !== undefined) options.tenantId = tenantId;
    const environment = o.environment?.(req);
    if (environment !== undefined) options.environment = environment;
  } catch (error) {
    report(o, error, req);
    return { ok: false, denial: denial({ code: 'INTERNAL', realm: o.realm, now: now() }) };
  }
  const context: NonNullable<VerifyApiKeyOptions['context']> = {};
  const ip = clean(
    o.trustProxy ? (firstForwarded(facts.forwardedFor) ?? facts.remoteAddress) : facts.remoteAddress,
    64,
  );
  if (ip !== undefined) context.ip = ip;
  const userAgent = clean(facts.userAgent, 512);
  if (userAgent !== undefined) context.userAgent = userAgent;
  const requestId = clean(facts.requestId, 128);
  if (requestId !== undefined) context.requestId = requestId;
  options.context = context;

  let result: Awaited<ReturnType<ApiKeyVerifier['apiKeys']['verify']>>;
  try {
    result = await km.apiKeys.verify(read.token, options);
  } catch (error) {
    report(o, error, req);
    const code = isKeywardenError(error, 'ERR_VALIDATION') ? 'INTERNAL' : 'UNAVAILABLE';
    return { ok: false, denial: denial({ code, realm: o.realm, now: now() }) };
  }
  if (result.valid) {
    return { ok: true, result, headers: result.rateLimit ? rateLimitHeaders(result.rateLimit, now()) : [] };
  }
  return {
    ok: false,
    denial: denial({
      code: result.code,
      realm: o.realm,
      now: now(),
      scopes,
      rateLimit: result.rateLimit,
      key: result.key,
    }),
  };
}
