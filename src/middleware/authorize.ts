/**
 * The request path shared by every middleware flavour: read the token, build the verify
 * options and request context, call `km.apiKeys.verify`, and turn the result into either the
 * verified key (plus informative `RateLimit-*` headers) or an HTTP denial. Fails closed: any
 * error from verify is a 503 (500 for a misconfiguration), never a pass. Portable: no node:*.
 *
 * The steps around the verify are synchronous ({@link prepareVerify}, {@link verifyFailed},
 * {@link verifyRefused}), so an adapter waits for the verify itself and nothing else (the node
 * adapter chains one reaction on verify's promise; see docs/request-path.md, "What the middleware
 * costs").
 * @module
 */
import { isKeywardenError } from '../errors.js';
import type {
  ApiKeyVerifyFailure,
  ApiKeyVerifyResult,
  ApiKeyVerifySuccess,
  VerifyApiKeyOptions,
} from '../store/api-key-types.js';
import { type Denial, denial, rateLimitHeaders } from './http-errors.js';
import type { ApiKeyVerifier, ResolvedMiddlewareOptions } from './options.js';
import { firstForwarded, tokenOf } from './token.js';

/** What a framework adapter reads from its request for the shared authorization step. */
export interface RequestFacts {
  /** Value of the configured token header (null/undefined when absent). */
  header: string | null | undefined;
  /** The socket's peer address, when the runtime knows it. */
  remoteAddress?: string | null | undefined;
  /** `X-Forwarded-For`, used only with `trustProxy: true`. */
  forwardedFor?: string | null | undefined;
  /** `User-Agent`, kept (cleaned, at most 512 characters) in the verify's audit context. */
  userAgent?: string | null | undefined;
  /** `X-Request-Id`. */
  requestId?: string | null | undefined;
}

/** The outcome of the shared authorization step (`verify`, scopes, headers or a denial). */
export type AuthorizeOutcome =
  | {
      /** The key is valid and has the scopes. */
      ok: true;
      /** The verify result (never holds the token). */
      result: ApiKeyVerifySuccess;
      /** `RateLimit-*` headers to add to the response (empty without a rate limit). */
      headers: [string, string][];
    }
  | {
      /** The request is refused. */
      ok: false;
      /** The answer to write (status, headers, JSON body). */
      denial: Denial;
    };

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

/** What {@link prepareVerify} decides before any verify: the call to make, or an early denial. */
export type PreparedVerify =
  | {
      ok: true;
      /** The token read from the request: only ever passed to verify. */
      token: string;
      /** The verify options: scopes, cost, tenant, environment, context. */
      options: VerifyApiKeyOptions;
      /** The scopes the request asked for (named in a 403's `WWW-Authenticate`). */
      scopes: readonly string[];
    }
  | { ok: false; denial: Denial };

/** No `RateLimit-*` headers (a key without a rate limit): shared, never written to. */
const NO_HEADERS: [string, string][] = Object.freeze([]) as unknown as [string, string][];

/**
 * The synchronous first step: reads the token and builds the verify options and context. A
 * request without credentials, or a throwing `scopes`/`cost`/`tenantId`/`environment` function,
 * is denied here (401 `MISSING`, 500 `INTERNAL`) without calling verify. The arguments are the
 * fields of {@link RequestFacts}, passed one by one so the hot path allocates no facts object.
 *
 * @example
 * ```ts
 * import { writeDenial } from 'keywarden/middleware/node';
 * const o = resolveOptions<typeof req>({ scopes: ['files:read'] });
 * const p = prepareVerify(o, req, req.headers.authorization, req.socket.remoteAddress);
 * if (!p.ok) writeDenial(res, p.denial);
 * else console.log((await km.apiKeys.verify(p.token, p.options)).valid);
 * ```
 * @throws never: a throwing option function becomes a denial (and is reported to `onError`).
 */
export function prepareVerify<Req>(
  o: ResolvedMiddlewareOptions<Req>,
  req: Req,
  header: string | null | undefined,
  remoteAddress?: string | null,
  forwardedFor?: string | null,
  userAgent?: string | null,
  requestId?: string | null,
): PreparedVerify {
  const token = tokenOf(o.header, header);
  if (token === undefined) {
    return { ok: false, denial: denial({ code: 'MISSING', realm: o.realm, now: o.clock.now() }) };
  }
  let scopes: readonly string[];
  const options: VerifyApiKeyOptions = {};
  try {
    scopes = o.scopes(req);
    if (!Array.isArray(scopes)) throw new TypeError('the scopes function must return an array');
    if (scopes.length > 0) options.scopes = scopes as string[]; // verify copies what it keeps
    if (o.cost) options.cost = o.cost(req);
    if (o.tenantId) {
      const tenantId = o.tenantId(req);
      if (tenantId !== undefined) options.tenantId = tenantId;
    }
    if (o.environment) {
      const environment = o.environment(req);
      if (environment !== undefined) options.environment = environment;
    }
  } catch (error) {
    report(o, error, req);
    return { ok: false, denial: denial({ code: 'INTERNAL', realm: o.realm, now: o.clock.now() }) };
  }
  const context: NonNullable<VerifyApiKeyOptions['context']> = {};
  const ip = clean(o.trustProxy ? (firstForwarded(forwardedFor) ?? remoteAddress) : remoteAddress, 64);
  if (ip !== undefined) context.ip = ip;
  const agent = clean(userAgent, 512);
  if (agent !== undefined) context.userAgent = agent;
  const id = clean(requestId, 128);
  if (id !== undefined) context.requestId = id;
  options.context = context;
  return { ok: true, token, options, scopes };
}

/**
 * The denial for a verify that threw (storage, KMS or audit down, manager closed: 503
 * `UNAVAILABLE`; bad options from an option function: 500 `INTERNAL`). Reports the error to
 * `onError`; never passes it on.
 *
 * @example
 * ```ts
 * import { writeDenial } from 'keywarden/middleware/node';
 * const o = resolveOptions<typeof req>({});
 * try {
 *   await km.apiKeys.verify(token);
 * } catch (error) {
 *   writeDenial(res, verifyFailed(o, error, req)); // 503 UNAVAILABLE (or 500 INTERNAL)
 * }
 * ```
 * @throws never
 */
export function verifyFailed<Req>(o: ResolvedMiddlewareOptions<Req>, error: unknown, req: Req): Denial {
  report(o, error, req);
  const code = isKeywardenError(error, 'ERR_VALIDATION') ? 'INTERNAL' : 'UNAVAILABLE';
  return denial({ code, realm: o.realm, now: o.clock.now() });
}

/**
 * The denial for a key verify refused (401, 403 or 429 with its headers).
 *
 * @example
 * ```ts
 * import { writeDenial } from 'keywarden/middleware/node';
 * const o = resolveOptions<typeof req>({ scopes: ['files:read'] });
 * const result = await km.apiKeys.verify(token, { scopes: ['files:read'] });
 * if (!result.valid) writeDenial(res, verifyRefused(o, result, ['files:read']));
 * ```
 * @throws never
 */
export function verifyRefused<Req>(
  o: ResolvedMiddlewareOptions<Req>,
  result: ApiKeyVerifyFailure,
  scopes: readonly string[],
): Denial {
  return denial({
    code: result.code,
    realm: o.realm,
    now: o.clock.now(),
    scopes,
    rateLimit: result.rateLimit,
    key: result.key,
  });
}

/**
 * The `RateLimit-*` headers of a successful verify (none without a rate limit; the empty list
 * is shared and must not be written to).
 *
 * @example
 * ```ts
 * const o = resolveOptions<typeof req>({});
 * const result = await km.apiKeys.verify(token);
 * if (result.valid) for (const [name, value] of successHeaders(o, result)) res.setHeader(name, value);
 * ```
 * @throws never
 */
export function successHeaders<Req>(
  o: ResolvedMiddlewareOptions<Req>,
  result: ApiKeyVerifySuccess,
): [string, string][] {
  return result.rateLimit ? rateLimitHeaders(result.rateLimit, o.clock.now()) : NO_HEADERS;
}

/**
 * Verifies the key of one request: {@link prepareVerify}, `km.apiKeys.verify`, then the
 * outcome. Used by the fetch and Hono adapters (the node one inlines the same steps).
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
  const p = prepareVerify(
    o,
    req,
    facts.header,
    facts.remoteAddress,
    facts.forwardedFor,
    facts.userAgent,
    facts.requestId,
  );
  if (!p.ok) return p;
  let result: ApiKeyVerifyResult;
  try {
    result = await km.apiKeys.verify(p.token, p.options);
  } catch (error) {
    return { ok: false, denial: verifyFailed(o, error, req) };
  }
  if (result.valid) return { ok: true, result, headers: successHeaders(o, result) };
  return { ok: false, denial: verifyRefused(o, result, p.scopes) };
}
