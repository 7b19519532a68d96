/**
 * Operator authentication: `Authorization: Bearer <keywarden API key>`, verified with the
 * manager's own `apiKeys.verify`, then the route's scope checked against the key's scopes.
 * `keywarden:admin` and `keywarden:*` imply every operator scope; a bare `*` grant does not make
 * a key an operator (an application key with `*` must not manage the store). Operator keys bound
 * to a tenant are refused: the API manages the whole store. Portable: no node:*.
 * @module
 */

import type { KeyManager } from '../manager/key-manager.js';
import { readToken } from '../middleware/token.js';
import type { ApiKeyInfo, ApiKeyVerifyResult } from '../store/api-key-types.js';
import { HttpProblem } from './problem.js';
import type { Operator, OperatorScope } from './route.js';

const ADMIN = ['keywarden:admin', 'keywarden:*'];

/**
 * True when the scopes include `want` explicitly or through `keywarden:admin` / `keywarden:*`.
 *
 * @example
 * ```ts
 * hasOperatorScope(['keywarden:admin'], 'keywarden:reveal'); // true
 * hasOperatorScope(['*'], 'keywarden:read'); // false
 * ```
 * @throws never
 */
export function hasOperatorScope(scopes: readonly string[], want: OperatorScope): boolean {
  return scopes.includes(want) || scopes.some((s) => ADMIN.includes(s));
}

/**
 * True when a key's scopes grant any management power (`*`, `keywarden:` anything): only an
 * admin may create, change, rotate, revoke or delete such a key.
 *
 * @example
 * ```ts
 * grantsOperatorPower(['keywarden:read']); // true
 * grantsOperatorPower(['files:read']); // false
 * ```
 * @throws never
 */
export function grantsOperatorPower(scopes: readonly string[] | undefined): boolean {
  return (scopes ?? []).some((s) => s === '*' || s.startsWith('keywarden:'));
}

/**
 * Refuses a non-admin operator acting on a key that holds (or would hold) operator scopes, so
 * `keywarden:write` can never mint or take over an operator key.
 *
 * @example
 * ```ts
 * declare const operator: Operator;
 * assertMayManage(operator, ['invoices:read']); // the scopes of the key being created
 * ```
 * @throws HttpProblem 403 `ERR_FORBIDDEN`.
 */
export function assertMayManage(operator: Operator, scopes: readonly string[] | undefined): void {
  if (!operator.admin && grantsOperatorPower(scopes)) {
    throw new HttpProblem(
      403,
      'ERR_FORBIDDEN',
      'Only keywarden:admin may manage keys with keywarden scopes',
      {
        field: 'scopes',
      },
    );
  }
}

const UNAUTHENTICATED: Record<string, string> = {
  MISSING: 'An operator API key is required (Authorization: Bearer <key>)',
  INVALID: 'The operator API key is not valid',
};

function unauthenticated(kind: 'MISSING' | 'INVALID', realm: string): HttpProblem {
  const challenge =
    kind === 'MISSING' ? `Bearer realm="${realm}"` : `Bearer realm="${realm}", error="invalid_token"`;
  return new HttpProblem(401, 'ERR_UNAUTHENTICATED', UNAUTHENTICATED[kind] as string, {
    headers: [['www-authenticate', challenge]],
  });
}

function operatorOf(key: ApiKeyInfo): Operator {
  return {
    id: key.ownerId ?? key.id,
    keyId: key.id,
    ownerId: key.ownerId,
    admin: key.scopes.some((s) => ADMIN.includes(s)),
  };
}

/** Facts about the request recorded with the verification. */
export interface OperatorRequestFacts {
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/**
 * Authenticates the operator of a request and checks the route's scope.
 *
 * @example
 * ```ts
 * const operator = await authenticate(km, request.headers.get('authorization'), 'keywarden:read', {}, 'keywarden');
 * ```
 * @throws HttpProblem 401 `ERR_UNAUTHENTICATED` (no or invalid key), 403 `ERR_FORBIDDEN` (scope,
 *   tenant-bound key), 429 `ERR_RATE_LIMITED`; a failing verify rethrows its `KeywardenError`
 *   (answered 503: fail closed).
 */
export async function authenticate(
  km: Pick<KeyManager, 'apiKeys'>,
  authorization: string | null,
  scope: OperatorScope,
  facts: OperatorRequestFacts,
  realm: string,
): Promise<Operator> {
  const read = readToken('authorization', authorization);
  if (read.kind === 'missing') throw unauthenticated('MISSING', realm);
  const context: NonNullable<Parameters<KeyManager['apiKeys']['verify']>[1]>['context'] = {};
  if (facts.ip) context.ip = facts.ip.slice(0, 64);
  if (facts.userAgent) context.userAgent = facts.userAgent.slice(0, 512);
  if (facts.requestId) context.requestId = facts.requestId.slice(0, 128);
  const result: ApiKeyVerifyResult = await km.apiKeys.verify(read.token, { context });
  if (!result.valid) {
    if (result.code === 'RATE_LIMITED' || result.code === 'USAGE_EXCEEDED') {
      throw new HttpProblem(
        429,
        'ERR_RATE_LIMITED',
        'The operator API key is rate limited or out of credits',
      );
    }
    throw unauthenticated('INVALID', realm);
  }
  const key = result.key;
  if (key.tenantId !== null) {
    throw new HttpProblem(403, 'ERR_FORBIDDEN', 'Operator keys must not be bound to a tenant');
  }
  if (!hasOperatorScope(key.scopes, scope)) {
    throw new HttpProblem(403, 'ERR_FORBIDDEN', `This route needs the ${scope} scope`, {
      headers: [
        ['www-authenticate', `Bearer realm="${realm}", error="insufficient_scope", scope="${scope}"`],
      ],
    });
  }
  return operatorOf(key);
}
