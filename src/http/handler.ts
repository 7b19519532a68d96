/**
 * `managementApi(km, options)`: the management API as a fetch handler `(Request) => Promise<Response>`.
 * Routing, operator authentication, request validation (zod), ETags, `Idempotency-Key` replay
 * and problem answers live here; the routes themselves are in the route table. Every answer is
 * `Cache-Control: no-store`. Portable: no node:*.
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import { capabilityContext } from '../extension/index.js';
import { isQuotableKey } from '../internal/validate.js';
import type { KeyManager } from '../manager/key-manager.js';
import type { AccessLike } from './access-types.js';
import { authenticate } from './auth.js';
import { bodyEtag, noneMatch } from './etag.js';
import {
  checkIdempotencyKey,
  type IdempotencyOptions,
  idempotencyStore,
  type StoredAnswer,
} from './idempotency.js';
import { openApiDocument } from './openapi.js';
import { HttpProblem, problemResponse, safeClientError, toProblem } from './problem.js';
import type { Operator, Route } from './route.js';
import { compilePath, matchPath, ROUTES } from './table.js';

/** Options of {@link managementApi}. */
export interface ManagementApiOptions {
  /** The agent-access service (`agentAccess(km)` from `keywarden/access`); without it `/access/*` is 404. */
  access?: AccessLike;
  /** Where the API is mounted, e.g. `'/admin'` (default `''`: the root). Paths outside it are 404. */
  basePath?: string;
  /** The client address for the operator's audit context (a `Request` does not carry it). */
  clientIp?: (request: Request) => string | undefined;
  /** `Idempotency-Key` store limits (per handler instance, so per process), or `false` to ignore the header. */
  idempotency?: IdempotencyOptions | false;
  /** Largest request body in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** `realm` of `WWW-Authenticate` (default `'keywarden'`). */
  realm?: string;
  /** Told about every 5xx answer's cause (for logging); never receives a token. Its errors are ignored. */
  onError?: (error: unknown, request: Request) => void;
}

/** The fetch handler {@link managementApi} returns, with its route table's OpenAPI document. */
export interface ManagementApi {
  (request: Request): Promise<Response>;
  /** The OpenAPI 3.1 document (also served at `GET {basePath}/openapi.json`). */
  openapi(): Record<string, unknown>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function fail(field: string, message: string, status = 400): HttpProblem {
  return new HttpProblem(status, 'ERR_VALIDATION', `${field}: ${message}`, { field });
}

/**
 * A key that may be named in a field or message: an identifier of at most 32 characters (every
 * keywarden token is longer). Any other key is input that may be a pasted secret.
 */
function quotable(key: string): boolean {
  return key.length <= 32 && isQuotableKey(key);
}

/**
 * The path segments that may be named in a field: array indexes and short identifiers. A key of
 * any other text is input (it may be a pasted token), so the path stops at its parent.
 */
function quotablePath(path: readonly PropertyKey[]): string[] {
  const out: string[] = [];
  for (const p of path) {
    if (typeof p === 'number' || (typeof p === 'string' && quotable(p))) out.push(String(p));
    else break;
  }
  return out;
}

/** Validates one input part with its schema; the first issue becomes a 400 naming the field. */
function parse(
  schema: z.ZodMiniType | undefined,
  value: unknown,
  part: 'params' | 'query' | 'body',
): unknown {
  if (schema === undefined) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const raw: PropertyKey[] = issue ? [...issue.path] : [];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) raw.push(issue.keys[0]);
  const path = quotablePath(raw);
  const field = [part, ...path].join('.');
  const unknownKey = issue?.code === 'unrecognized_keys';
  const message = unknownKey
    ? path.length === raw.length
      ? 'unknown field'
      : 'has an unknown field'
    : path.length === raw.length
      ? (issue?.message ?? 'invalid')
      : 'is invalid';
  return failWith(field, message);
}

const LIBRARY_ROOTS = new Set(['options', 'input', 'patch', 'query']);

/**
 * Names a library validation error's field after the request part it came from
 * (`options.environment` → `query.environment`, `name` → `params.name` or `body.name`).
 */
function locateField(error: unknown, route: Route): unknown {
  if (!(error instanceof KeywardenError) || error.code !== 'ERR_VALIDATION' || error.field === undefined) {
    return error;
  }
  const parts = error.field.split('.');
  const rest = parts.length > 1 && LIBRARY_ROOTS.has(parts[0] as string) ? parts.slice(1) : parts;
  const head = rest[0] as string;
  for (const [part, schema] of [
    ['params', route.params],
    ['body', route.body],
    ['query', route.query],
  ] as const) {
    if (schema instanceof z.ZodMiniObject && Object.hasOwn(schema.shape, head)) {
      const field = [part, ...rest].join('.');
      const message = error.message.startsWith(error.field)
        ? `${field}${error.message.slice(error.field.length)}`
        : error.message;
      const safe = safeClientError(field, message);
      return new HttpProblem(400, 'ERR_VALIDATION', safe.detail, { field: safe.field });
    }
  }
  return error;
}

function failWith(field: string, message: string): never {
  throw fail(field, message);
}

function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // '__proto__' stays a plain (unknown) key
  let repeated: string | undefined;
  url.searchParams.forEach((v, k) => {
    if (Object.hasOwn(out, k)) repeated ??= k;
    else out[k] = v;
  });
  if (repeated !== undefined) {
    throw quotable(repeated)
      ? fail(`query.${repeated}`, 'given more than once')
      : fail('query', 'repeats a parameter');
  }
  return out;
}

async function readBody(request: Request, max: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) throw fail('body', `larger than ${max} bytes`, 413);
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw fail('body', `larger than ${max} bytes`, 413);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    throw fail('body', 'is not UTF-8');
  }
}

function parseJson(text: string, contentType: string | null): unknown {
  if (text.trim().length === 0) return {};
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json' && !(type ?? '').endsWith('+json')) {
    throw fail('header.content-type', 'must be application/json', 415);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw fail('body', 'is not valid JSON');
  }
}

function answer(stored: StoredAnswer): Response {
  return new Response(stored.status === 204 ? null : stored.body, {
    status: stored.status,
    headers: stored.headers,
  });
}

/**
 * Builds the management API of a key manager as a fetch handler. Mount it anywhere that speaks
 * `Request`/`Response` (Hono, Bun, Deno, Workers), or in node:http/Express through
 * `nodeHandler` from `keywarden/http/node`.
 *
 * @example
 * ```ts
 * import { managementApi } from 'keywarden/http';
 * const api = managementApi(km, { basePath: '/admin' });
 * // Bun.serve({ fetch: api }), Deno.serve(api), or in Hono:
 * import { Hono } from 'hono';
 * new Hono().all('/admin/*', (c) => api(c.req.raw));
 * ```
 * @example
 * ```ts
 * // an operator key for the console or scripts
 * const { token } = await km.apiKeys.create({ name: 'ops', ownerId: 'alice', scopes: ['keywarden:admin'] });
 * await fetch('http://127.0.0.1:8787/admin/api-keys', { headers: { authorization: `Bearer ${token}` } });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for a `km` that is not a key manager or bad options
 *   (at build time); the handler itself never throws: every failure is a problem answer.
 */
export function managementApi(km: KeyManager, options: ManagementApiOptions = {}): ManagementApi {
  const ctx = capabilityContext(km); // refuses anything that is not a key manager
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(basePath)) {
    throw new KeywardenError('ERR_VALIDATION', 'basePath: must be a path starting with /', {
      field: 'basePath',
    });
  }
  const maxBody = options.maxBodyBytes ?? 1_048_576;
  if (!Number.isInteger(maxBody) || maxBody < 1) {
    throw new KeywardenError('ERR_VALIDATION', 'maxBodyBytes: must be a positive integer', {
      field: 'maxBodyBytes',
    });
  }
  const realm = options.realm ?? 'keywarden';
  const idempotency = options.idempotency === false ? null : idempotencyStore(options.idempotency);
  const compiled = ROUTES.map((route) => ({ route, path: compilePath(route.path) }));
  let doc: Record<string, unknown> | undefined;
  const openapi = () => {
    doc ??= openApiDocument(ROUTES, { basePath });
    return doc;
  };
  const routeCtx = { km, access: options.access };

  function clientIpOf(request: Request): string | undefined {
    try {
      const ip = options.clientIp?.(request);
      return typeof ip === 'string' ? ip.replace(CONTROL, '') || undefined : undefined;
    } catch {
      return undefined; // an unknown address is not a reason to refuse the request
    }
  }

  function report(error: unknown, request: Request): void {
    try {
      options.onError?.(error, request);
    } catch {
      // a logging hook never changes the answer
    }
  }

  async function run(
    request: Request,
    route: Route,
    params: Record<string, string>,
    url: URL,
  ): Promise<Response> {
    const h = request.headers;
    const operator: Operator = await authenticate(
      km,
      h.get('authorization'),
      route.scope,
      {
        ip: clientIpOf(request),
        userAgent: h.get('user-agent') ?? undefined,
        requestId: h.get('x-request-id') ?? undefined,
      },
      realm,
    );
    const query = parse(route.query, queryObject(url), 'query');
    const parsedParams = parse(route.params, params, 'params');
    let text = '';
    let body: unknown;
    if (route.body !== undefined) {
      text = await readBody(request, maxBody);
      body = parse(route.body, parseJson(text, h.get('content-type')), 'body');
    }
    const key = h.get('idempotency-key');
    let started: ReturnType<NonNullable<typeof idempotency>['begin']> | undefined;
    if (route.idempotent && key !== null && idempotency !== null) {
      started = idempotency.begin(
        operator.keyId,
        checkIdempotencyKey(key),
        `${route.method} ${url.pathname}${url.search}\n${text}`,
        ctx.clock.now(),
      );
      if (started.kind === 'replay') {
        const replay = answer(started.answer);
        replay.headers.set('idempotent-replayed', 'true');
        return replay;
      }
    }
    try {
      const result = await route.handler(routeCtx, {
        params: parsedParams,
        query,
        body,
        operator,
        ifMatch: h.get('if-match'),
      });
      const headers: [string, string][] = [['cache-control', 'no-store']];
      let json = '';
      if (result.status !== 204) {
        json = JSON.stringify(result.body ?? null);
        headers.push(['content-type', JSON_TYPE]);
      }
      const etag = result.etag ?? (route.method === 'GET' ? bodyEtag(json) : undefined);
      if (etag !== undefined) headers.push(['etag', etag]);
      if (route.method === 'GET' && etag !== undefined && noneMatch(h.get('if-none-match'), etag)) {
        return new Response(null, {
          status: 304,
          headers: [
            ['etag', etag],
            ['cache-control', 'no-store'],
          ],
        });
      }
      const stored: StoredAnswer = { status: result.status, headers, body: json };
      if (started?.kind === 'run') started.finish(stored);
      return answer(stored);
    } catch (error) {
      if (started?.kind === 'run') started.finish(null); // a failed create may be retried with the same key
      throw locateField(error, route);
    }
  }

  const handler = async (request: Request): Promise<Response> => {
    try {
      const url = new URL(request.url);
      let path = url.pathname;
      if (basePath !== '') {
        if (path !== basePath && !path.startsWith(`${basePath}/`)) {
          throw new HttpProblem(404, 'ERR_NOT_FOUND', 'No such route');
        }
        path = path.slice(basePath.length);
      }
      const segments = path.split('/').filter((s) => s.length > 0);
      if (segments.length === 1 && segments[0] === 'openapi.json') {
        if (request.method !== 'GET') {
          throw new HttpProblem(405, 'ERR_METHOD_NOT_ALLOWED', 'Use GET', { headers: [['allow', 'GET']] });
        }
        return new Response(JSON.stringify(openapi()), {
          status: 200,
          headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-cache' },
        });
      }
      const allowed: string[] = [];
      for (const { route, path: compiledPath } of compiled) {
        const params = matchPath(compiledPath, segments);
        if (params === null) continue;
        if (route.method === request.method) return await run(request, route, params, url);
        allowed.push(route.method);
      }
      if (allowed.length > 0) {
        throw new HttpProblem(405, 'ERR_METHOD_NOT_ALLOWED', `Use ${allowed.join(', ')}`, {
          headers: [['allow', allowed.join(', ')]],
        });
      }
      throw new HttpProblem(404, 'ERR_NOT_FOUND', 'No such route');
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status >= 500) report(error, request);
      return problemResponse(problem);
    }
  };
  return Object.assign(handler, { openapi });
}
