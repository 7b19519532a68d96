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

const TOOL_ID_MAX = 64;

/** `[a-z0-9][a-z0-9_-]{0,63}`, checked by character codes. */
function isToolId(s: string): boolean {
  if (s.length === 0 || s.length > TOOL_ID_MAX) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && (i === 0 || (c !== 0x5f && c !== 0x2d))) return false;
  }
  return true;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Whether `s[i..i+3)` is `%2e` (any case). */
function isEncodedDot(s: string, i: number): boolean {
  return s.charCodeAt(i) === 0x25 && s.charCodeAt(i + 1) === 0x32 && (s.charCodeAt(i + 2) | 0x20) === 0x65;
}

/** Whether `s[start..end)` is a dot segment: one or two dots, each raw or `%2e` (any case). */
function isDotSegment(s: string, start: number, end: number): boolean {
  let dots = 0;
  for (let i = start; i < end; dots++) {
    if (dots === 2) return false;
    if (s.charCodeAt(i) === 0x2e) i += 1;
    else if (i + 3 <= end && isEncodedDot(s, i)) i += 3;
    else return false;
  }
  return dots > 0;
}

/**
 * Whether a path is unsafe to forward: a dot segment (raw or any percent-encoded spelling), an
 * encoded `/`, `\` or NUL, a raw `\`, a fragment or a control byte. One pass, no allocation.
 */
function unsafePath(path: string): boolean {
  let segment = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c || c === 0x23) return true; // controls, \, #
    if (c === 0x25) {
      const a = path.charCodeAt(i + 1);
      const b = path.charCodeAt(i + 2) | 0x20;
      if ((a === 0x32 && b === 0x66) || (a === 0x35 && b === 0x63) || (a === 0x30 && b === 0x30)) {
        return true; // %2f, %5c, %00
      }
    } else if (c === 0x2f) {
      if (i > segment && isDotSegment(path, segment, i)) return true;
      segment = i + 1;
    }
  }
  return path.length > segment && isDotSegment(path, segment, path.length);
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
  const end = q === -1 ? url.length : q; // end of the path name
  const search = q === -1 ? '' : url.slice(q);
  let slash = url.indexOf('/', 1);
  if (slash > end) slash = -1;
  const toolId = url.slice(1, slash === -1 ? end : slash);
  if (!isToolId(toolId)) return 'bad_target';
  const path = slash === -1 ? '/' : url.slice(slash, end);
  if (unsafePath(path) || hasControl(search)) return 'bad_path';
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
