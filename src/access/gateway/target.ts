/**
 * Reading the request target: `/{toolId}/{path}?{query}` in origin form only. Absolute-form
 * (`GET http://evil/ HTTP/1.1`), authority-form and asterisk-form targets are refused, and so is
 * any path an upstream could normalize into a different one than the path the tool's rules
 * allowed (dot segments, raw or percent-encoded; encoded slashes or backslashes; control bytes).
 * @module
 */

/** A request target the gateway accepts. */
export interface GatewayTarget {
  toolId: string;
  /** The path for the upstream, starting with `/` (as sent, percent-encoding kept). */
  path: string;
  /** `?…` or `''`. */
  search: string;
}

/** Why a target was refused (the violation reason). */
export type TargetRefusal = 'absolute_form' | 'bad_target' | 'bad_path';

const TOOL_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
// dot segments (raw or any percent-encoded spelling), encoded / and \, raw \, controls, fragments
const UNSAFE_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const UNSAFE_ESCAPES = /%2f|%5c|%00|\\|#/i;

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Splits a request target into tool, path and query.
 *
 * @example
 * ```ts
 * parseTarget('/openai/v1/chat/completions?x=1'); // { toolId: 'openai', path: '/v1/chat/completions', search: '?x=1' }
 * parseTarget('http://evil.example/');             // 'absolute_form'
 * ```
 * @throws never
 */
export function parseTarget(url: string | undefined): GatewayTarget | TargetRefusal {
  if (url === undefined || url.length === 0) return 'bad_target';
  if (!url.startsWith('/'))
    return /^[a-z][a-z0-9+.-]*:/i.test(url) || url.includes('/') ? 'absolute_form' : 'bad_target';
  if (url.startsWith('//')) return 'absolute_form'; // scheme-relative: names a host
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? '' : url.slice(q);
  const slash = pathname.indexOf('/', 1);
  const toolId = slash === -1 ? pathname.slice(1) : pathname.slice(1, slash);
  if (!TOOL_ID.test(toolId)) return 'bad_target';
  const path = slash === -1 ? '/' : pathname.slice(slash);
  if (UNSAFE_ESCAPES.test(path) || hasControl(path) || hasControl(search)) return 'bad_path';
  if (path.split('/').some((seg) => UNSAFE_SEGMENT.test(seg))) return 'bad_path';
  return { toolId, path, search };
}

/**
 * Whether a query string carries a proxy token (`kwp_`), raw or percent-encoded. Proxy tokens
 * belong in the auth slot only: in a query they would reach the upstream and its logs.
 *
 * @example
 * ```ts
 * queryCarriesToken('?key=kwp_abc', 'kwp_abc'); // true
 * ```
 * @throws never
 */
export function queryCarriesToken(search: string, token: string | null): boolean {
  if (search.length === 0) return false;
  let decoded = search;
  try {
    decoded = decodeURIComponent(search.replaceAll('+', ' '));
  } catch {
    // malformed escapes: judge the raw text
  }
  const lower = decoded.toLowerCase();
  return lower.includes('kwp_') || (token !== null && token.length > 0 && decoded.includes(token));
}
