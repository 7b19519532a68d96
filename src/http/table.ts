/**
 * The route table of the management API: the one list both the request handler and the
 * OpenAPI document are built from. Portable: no node:*.
 * @module
 */
import type { Route } from './route.js';
import { accessRoutes } from './routes/access.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { auditRoutes } from './routes/audit.js';
import { rotationRoutes } from './routes/rotation.js';
import { secretRoutes } from './routes/secrets.js';
import { signingKeyRoutes } from './routes/signing-keys.js';

/** Every management route, in documentation order. */
export const ROUTES: readonly Route[] = Object.freeze([
  ...apiKeyRoutes,
  ...secretRoutes,
  ...signingKeyRoutes,
  ...rotationRoutes,
  ...auditRoutes,
  ...accessRoutes,
]);

/** A path template split into literal segments and `{param}` names. */
export interface CompiledPath {
  segments: ({ literal: string } | { param: string })[];
}

/**
 * Splits a path template such as `/api-keys/{id}/revoke`.
 *
 * @example
 * ```ts
 * compilePath('/api-keys/{id}').segments; // [{ literal: 'api-keys' }, { param: 'id' }]
 * ```
 * @throws never
 */
export function compilePath(template: string): CompiledPath {
  return {
    segments: template
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s })),
  };
}

/**
 * Matches raw (still percent-encoded) path segments against a compiled template, returning the
 * decoded parameters, or null.
 *
 * @example
 * ```ts
 * matchPath(compilePath('/secrets/{name}'), ['secrets', 'A%2FB']); // { name: 'A/B' }
 * ```
 * @throws never (a bad escape does not match)
 */
export function matchPath(
  compiled: CompiledPath,
  segments: readonly string[],
): Record<string, string> | null {
  if (compiled.segments.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const want = compiled.segments[i];
    const got = segments[i] as string;
    if (want === undefined) return null;
    if ('literal' in want) {
      if (want.literal !== got) return null;
    } else {
      try {
        params[want.param] = decodeURIComponent(got);
      } catch {
        return null;
      }
    }
  }
  return params;
}
