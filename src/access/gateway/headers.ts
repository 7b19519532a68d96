/**
 * Headers on the way out and back: where the proxy token sits (the tool's auth slot), what the
 * gateway drops before the request leaves (hop-by-hop headers, every credential the agent sent,
 * headers that could re-route or re-method the request upstream), the secret injected in the
 * provider's slot, and what it drops from the answer.
 * @module
 */
import { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { UpstreamAuth } from '../types.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1 and the legacy proxy ones): never forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers the gateway never forwards: credentials of any kind (the upstream sees only the
 * injected secret), the Host (replaced by the origin's), forwarding headers an upstream proxy
 * could route by, method overrides that would bypass the tool's method list, `expect` (the
 * gateway answers `100-continue` itself) and `accept-encoding` (replaced by `identity` so echoes
 * can be scrubbed).
 */
const DROPPED_REQUEST = new Set([
  'host',
  'authorization',
  'cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'expect',
  'accept-encoding',
]);

/** Response headers dropped besides hop-by-hop ones: cookies are the upstream's session, not the agent's. */
const DROPPED_RESPONSE = new Set(['set-cookie', 'set-cookie2']);

/** Every request header never forwarded (one lookup instead of two per header). */
const NOT_FORWARDED: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...DROPPED_REQUEST]);
/** Every response header never passed back. */
const NOT_RETURNED: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...DROPPED_RESPONSE]);

const NONE_NAMED: ReadonlySet<string> = new Set<string>();

function connectionNamed(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const raw = headers.connection;
  if (typeof raw !== 'string') return NONE_NAMED;
  const lower = raw.trim().toLowerCase();
  // the common values name no other header (and both are hop-by-hop anyway)
  if (lower === 'keep-alive' || lower === 'close') return NONE_NAMED;
  const named = new Set<string>();
  for (const n of raw.split(',')) named.add(n.trim().toLowerCase());
  return named;
}

/**
 * The proxy token from the tool's slot: `Authorization: Bearer kwp_…` for bearer and basic tools
 * (basic tools also take `Authorization: Basic base64(kwp_…:)`, the token as the user name),
 * the named header for header tools, else `Authorization: Bearer` (Anthropic's SDK sends its key
 * that way; the upstream still gets the secret in the named header). `null` when there is none.
 *
 * @example
 * ```ts
 * tokenFromSlot({ authorization: 'Bearer kwp_x' }, { type: 'bearer' }); // 'kwp_x'
 * ```
 * @throws never
 */
export function tokenFromSlot(headers: IncomingHttpHeaders, auth: UpstreamAuth): string | null {
  if (auth.type === 'header') {
    const v = headers[auth.name.toLowerCase()];
    const s = (Array.isArray(v) ? v[0] : v)?.trim();
    if (s) return s;
  }
  const h = headers.authorization?.trim();
  if (!h) return null;
  const space = h.indexOf(' ');
  if (space === -1) return null;
  const scheme = h.slice(0, space).toLowerCase();
  const cred = h.slice(space + 1).trim();
  if (scheme === 'bearer') return cred.length > 0 ? cred : null;
  if (scheme === 'basic' && auth.type !== 'header') {
    const decoded = Buffer.from(cred, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    const pass = colon === -1 ? '' : decoded.slice(colon + 1);
    return user.length > 0 ? user : pass.length > 0 ? pass : null;
  }
  return null;
}

/**
 * The agent's headers the gateway forwards: without hop-by-hop, Connection-named, credential,
 * forwarding and override headers and the tool's slot; or null when a forwarded header carries
 * the proxy token (the agent tried to send it upstream: refuse). The caller adds `host`,
 * `accept-encoding: identity` and the injected secret.
 *
 * @example
 * ```ts
 * declare const tool: ToolInfo;
 * const out = forwardedHeadersWithout(req.headers, tool.upstream.auth, token); // null: refuse
 * ```
 * @throws never
 */
export function forwardedHeadersWithout(
  incoming: IncomingHttpHeaders,
  auth: UpstreamAuth,
  token: string,
): OutgoingHttpHeaders | null {
  const named = connectionNamed(incoming);
  const slot = auth.type === 'header' ? auth.name.toLowerCase() : 'authorization';
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(incoming)) {
    const value = incoming[name];
    if (value === undefined || NOT_FORWARDED.has(name) || name === slot || named.has(name)) continue;
    if (valueCarries(value, token)) return null;
    out[name] = value;
  }
  return out;
}

/** Whether a header value (or one of its values) contains the token. */
function valueCarries(value: string | string[], token: string): boolean {
  if (typeof value === 'string') return value.includes(token);
  for (const v of value) if (v.includes(token)) return true;
  return false;
}

/**
 * The upstream's response headers the agent may see: without hop-by-hop, Connection-named and
 * cookie headers. Values are not scrubbed here.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 * declare const up: IncomingMessage; // the upstream's answer
 * res.writeHead(up.statusCode ?? 502, responseHeaders(up.headers));
 * ```
 * @throws never
 */
export function responseHeaders(incoming: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = connectionNamed(incoming);
  const out: Record<string, string | string[]> = {};
  for (const name of Object.keys(incoming)) {
    const value = incoming[name];
    if (value === undefined || NOT_RETURNED.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}
