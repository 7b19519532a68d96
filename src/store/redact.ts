/**
 * Show-once values: the token returned by `apiKeys.create` must be readable by destructuring
 * (`const { token } = await km.apiKeys.create(...)`) but must not leak through `JSON.stringify`,
 * `util.inspect`/`console.log`, object spread or `Object.keys`.
 * @internal
 * @module
 */
import type { ApiKeyInfo, CreatedApiKey } from './api-key-types.js';

/** The symbol Node's `util.inspect` looks up; read through `Symbol.for`, so no node import. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Builds a {@link CreatedApiKey}: `key` is an ordinary property, `token` a non-enumerable getter
 * reading a closure (so even `util.inspect(x, { showHidden: true })` shows `[Getter]`, not the value),
 * `toJSON()` returns `{ key }`, and the inspect hook prints `token: '[redacted]'`.
 *
 * @example
 * ```ts
 * declare const info: ApiKeyInfo;
 * const created = createdApiKey(token, info);
 * JSON.stringify(created); // '{"key":{...}}'
 * const { token: t } = created; // the token
 * ```
 * @throws never
 */
export function createdApiKey(token: string, key: ApiKeyInfo): CreatedApiKey {
  const result = { key } as CreatedApiKey;
  Object.defineProperties(result, {
    token: { get: () => token, enumerable: false, configurable: false },
    toJSON: { value: () => ({ key }), enumerable: false },
    [INSPECT]: { value: () => ({ token: '[redacted]', key }), enumerable: false },
  });
  return result;
}
