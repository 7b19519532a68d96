/**
 * `access.fetch(token, url, init)`: the trusted in-process path. The URL must be on the session
 * tool's origin (the caller never picks another host); the call is authorized like a gateway call
 * (one call spent); credentials the caller put in `init.headers` are dropped and the secret is
 * injected; a request that carries the proxy token itself (URL or headers) is refused; no redirect
 * is followed (`redirect: 'manual'`); an echo of the secret in the response body is masked with `*`.
 * Refusals are answered like the gateway: status 401/403/429 with JSON `{ "error": CODE }`.
 * @internal
 * @module
 */
import { validationError } from '../errors.js';
import { utf8Encode } from '../internal/bytes.js';
import { authorizeCall, statusOf, verifyProxyToken } from './authorize.js';
import type { AccessContext } from './context.js';
import { credentialHeader, credentialHeaders } from './inject.js';
import type { ProxyVerifyCode } from './types.js';
import { recordViolation } from './violations.js';

function refusal(code: ProxyVerifyCode): Response {
  return new Response(JSON.stringify({ error: code }), {
    status: statusOf(code),
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * A stream transform that overwrites every occurrence of `secret` (its UTF-8 bytes) with `*`,
 * also across chunk boundaries (it holds back at most `secret.length - 1` bytes).
 * @example
 * ```ts
 * const response = await fetch('https://api.stripe.com/v1/charges');
 * const body = response.body?.pipeThrough(maskSecret(secret));
 * ```
 * @throws never
 */
export function maskSecret(secret: string): TransformStream<Uint8Array, Uint8Array> {
  const needle = utf8Encode(secret);
  let carry = new Uint8Array(0);
  const scan = (buf: Uint8Array): void => {
    outer: for (let i = 0; i + needle.length <= buf.length; i++) {
      for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
      buf.fill(0x2a, i, i + needle.length);
      i += needle.length - 1;
    }
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      const buf = new Uint8Array(carry.length + chunk.length);
      buf.set(carry, 0);
      buf.set(chunk, carry.length);
      scan(buf);
      const keep = Math.min(buf.length, Math.max(0, needle.length - 1));
      carry = buf.slice(buf.length - keep);
      if (buf.length - keep > 0) controller.enqueue(buf.subarray(0, buf.length - keep));
    },
    flush(controller) {
      if (carry.length > 0) controller.enqueue(carry);
      carry = new Uint8Array(0);
    },
  });
}

/**
 * Runs `access.fetch`.
 *
 * @example
 * ```ts
 * const res = await accessFetch(a, token, 'https://api.stripe.com/v1/charges', { method: 'GET' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `url` or `init`) for a bad URL or init;
 *   `ERR_STORAGE`, `ERR_AUDIT`, `ERR_NOT_FOUND` (the tool's secret is not set); a network failure
 *   rejects as `fetch` does.
 */
export async function accessFetch(
  a: AccessContext,
  token: string,
  url: string | URL,
  init: RequestInit = {},
): Promise<Response> {
  let u: URL;
  try {
    u = new URL(url instanceof URL ? url.href : String(url));
  } catch {
    throw validationError('url', 'must be an absolute URL');
  }
  if (u.username !== '' || u.password !== '') throw validationError('url', 'must not contain credentials');
  if (typeof init !== 'object' || init === null)
    throw validationError('init', 'must be a RequestInit object');
  let headers: Headers;
  try {
    headers = new Headers(init.headers);
  } catch {
    throw validationError('init.headers', 'must be valid headers');
  }
  const v = await verifyProxyToken(a, token, {});
  if (!v.valid) return refusal(v.code);
  const tool = v.tool;
  const violation = async (reason: string): Promise<Response> => {
    await recordViolation(a, { toolId: tool.id, sessionId: v.session.id, reason, context: {} });
    return refusal('FORBIDDEN');
  };
  if (u.origin !== tool.upstream.origin) return violation('url is not on the tool origin');
  let carriesToken = typeof token === 'string' && token.length > 0 && u.href.includes(token);
  headers.forEach((h) => {
    if (typeof token === 'string' && token.length > 0 && h.includes(token)) carriesToken = true;
  });
  if (carriesToken) {
    return violation('request carries the proxy token');
  }
  const method = (typeof init.method === 'string' ? init.method : 'GET').toUpperCase();
  const r = await authorizeCall(a, token, { toolId: tool.id, method, path: u.pathname });
  if (!r.ok) return refusal(r.code);
  for (const name of credentialHeaders(r.tool.upstream.auth)) headers.delete(name);
  headers.delete('cookie');
  const [name, value] = credentialHeader(r.tool.upstream.auth, r.secret);
  headers.set(name, value);
  const response = await fetch(u, { ...init, method, headers, redirect: 'manual' });
  if (r.secret.length === 0) return response;
  const responseHeaders = new Headers();
  response.headers.forEach((val, k) => {
    responseHeaders.append(
      k,
      val.includes(r.secret) ? val.replaceAll(r.secret, '*'.repeat(r.secret.length)) : val,
    );
  });
  const body = response.body === null ? null : response.body.pipeThrough(maskSecret(r.secret));
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: responseHeaders,
  });
}
