/**
 * Method and path rules of a tool: methods are upper-case HTTP tokens; path patterns are
 * `/`-separated segments where `*` matches exactly one segment and a final `**` matches the rest
 * (zero or more segments). A request path with an empty, `.` or `..` segment (also percent-encoded),
 * an encoded `/` or `\`, a query, a fragment, a backslash or a control character never matches.
 * @internal
 * @module
 */

/**
 * An HTTP method token: upper case letters, 1-16.
 *
 * @example
 * ```ts
 * METHOD_PATTERN.test('POST'); // true
 * ```
 */
export const METHOD_PATTERN = /^[A-Z]{1,16}$/;

/** One literal pattern segment: unreserved, sub-delims, `:`, `@` and percent-encodings. */
const LITERAL_SEGMENT = /^[A-Za-z0-9._~!$&'()+,;=:@%-]{1,256}$/;

/**
 * Checks a path pattern; returns why it is bad, or null when good.
 *
 * @example
 * ```ts
 * patternProblem('/v1/charges/*'); // null
 * patternProblem('v1'); // 'must start with /'
 * ```
 * @throws never
 */
export function patternProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > 512) return 'must be 1-512 characters';
  if (pattern[0] !== '/') return 'must start with /';
  if (pattern === '/' || pattern === '/**') return null;
  const segments = pattern.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] as string;
    if (s === '*') continue;
    if (s === '**') {
      if (i !== segments.length - 1) return 'may use ** only as the last segment';
      continue;
    }
    if (!LITERAL_SEGMENT.test(s) || s === '.' || s === '..' || s.includes('*')) {
      return 'has an invalid segment (use literal segments, * or a final **)';
    }
  }
  return null;
}

/** Splits a request path into segments, or null when it must never match. */
function requestSegments(path: string): string[] | null {
  if (path.length === 0 || path.length > 4096 || path[0] !== '/') return null;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    // controls, space, DEL, '#', '?', '\\' and anything non-ASCII: never matches
    if (c <= 0x20 || c >= 0x7f || c === 0x23 || c === 0x3f || c === 0x5c) return null;
  }
  if (path === '/') return [];
  const segments = path.slice(1).split('/');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') return null;
    if (s.includes('%')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(s);
      } catch {
        return null;
      }
      if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\\')) return null;
    }
  }
  return segments;
}

function matches(pattern: string, segments: string[]): boolean {
  if (pattern === '/**') return true;
  if (pattern === '/') return segments.length === 0;
  const parts = pattern.slice(1).split('/');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (p === '**') return true; // a final ** matches the rest, also nothing
    const s = segments[i];
    if (s === undefined) return false;
    if (p !== '*' && p !== s) return false;
  }
  return parts.length === segments.length;
}

/**
 * True when `path` (a URL path without query) matches one of `patterns`.
 *
 * @example
 * ```ts
 * pathAllowed(['/v1/charges', '/v1/charges/*'], '/v1/charges/ch_1'); // true
 * pathAllowed(['/v1/charges/*'], '/v1/charges/../refunds'); // false
 * ```
 * @throws never
 */
export function pathAllowed(patterns: readonly string[], path: string): boolean {
  if (typeof path !== 'string') return false;
  const segments = requestSegments(path);
  if (segments === null) return false;
  return patterns.some((p) => matches(p, segments));
}

/**
 * True when `method` (compared in upper case) is one of `methods`.
 *
 * @example
 * ```ts
 * methodAllowed(['GET', 'POST'], 'get'); // true
 * ```
 * @throws never
 */
export function methodAllowed(methods: readonly string[], method: string): boolean {
  if (typeof method !== 'string') return false;
  const m = method.toUpperCase();
  return METHOD_PATTERN.test(m) && methods.includes(m);
}
