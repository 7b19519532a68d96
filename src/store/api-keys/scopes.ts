/**
 * Scope matching. Every requested scope must be granted. A granted `*` grants everything; a
 * granted `ns:*` grants `ns:` followed by anything (`ns:read`, `ns:a:b`). Requested scopes are
 * literal: a requested `ns:*` is granted only by `*`, `ns:*` itself, or a wider wildcard.
 * @internal
 * @module
 */

/**
 * True when `granted` covers every scope in `requested` (an empty request is always covered).
 *
 * @example
 * ```ts
 * scopesGranted(['files:*'], ['files:read', 'files:a:b']); // true
 * scopesGranted(['files:read'], ['files:*']); // false
 * ```
 * @throws never
 */
export function scopesGranted(granted: readonly string[], requested: readonly string[]): boolean {
  if (requested.length === 0) return true;
  if (granted.includes('*')) return true;
  // indexed loops: the lists may be frozen arrays (the memory adapter's), slow to iterate with for-of
  for (let i = 0; i < requested.length; i++) {
    if (!scopeGranted(granted, requested[i] as string)) return false;
  }
  return true;
}

function scopeGranted(granted: readonly string[], want: string): boolean {
  for (let i = 0; i < granted.length; i++) {
    const g = granted[i] as string;
    if (g === want) return true;
    if (g.length >= 2 && g.endsWith(':*')) {
      const ns = g.slice(0, -1); // keeps the trailing ':'
      if (want.length > ns.length && want.startsWith(ns)) return true;
    }
  }
  return false;
}

/**
 * The scope grammar (same as the create schema): `*`, `name`, `ns:name`, `ns:*`.
 *
 * @example
 * ```ts
 * SCOPE_PATTERN; // /^(\*|[A-Za-z0-9_.:/-]+(:\*)?)$/
 * ```
 */
export const SCOPE_PATTERN = /^(\*|[A-Za-z0-9_.:/-]+(:\*)?)$/;
