/**
 * How the secret is put on an outgoing call, by the tool's auth type. Shared by `access.fetch`
 * and the gateway. The value returned is secret: never log it.
 * @module
 */
import { utf8Encode, zeroize } from '../internal/bytes.js';
import type { UpstreamAuth } from './types.js';

/**
 * Every header name that may carry a credential for a tool with this auth (lower case): these are
 * stripped from a caller's headers before the secret is injected.
 *
 * @example
 * ```ts
 * credentialHeaders({ type: 'header', name: 'x-api-key' }); // ['authorization', 'proxy-authorization', 'x-api-key']
 * ```
 * @throws never
 */
export function credentialHeaders(auth: UpstreamAuth): string[] {
  const names = ['authorization', 'proxy-authorization'];
  if (auth.type === 'header' && !names.includes(auth.name)) names.push(auth.name);
  return names;
}

/**
 * The header (lower-case name and value) that carries `secret` for `auth`: `Bearer <secret>`,
 * the named header, or `Basic base64(user:password)` (a secret without `:` is the user name with
 * an empty password, as Stripe's keys are used).
 *
 * @example
 * ```ts
 * const [name, value] = credentialHeader({ type: 'bearer' }, secret); // ['authorization', 'Bearer …']
 * headers.set(name, value);
 * ```
 * @throws never
 */
export function credentialHeader(auth: UpstreamAuth, secret: string): [string, string] {
  if (auth.type === 'bearer') return ['authorization', `Bearer ${secret}`];
  if (auth.type === 'header') return [auth.name, secret];
  const bytes = utf8Encode(secret.includes(':') ? secret : `${secret}:`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  zeroize(bytes);
  return ['authorization', `Basic ${btoa(binary)}`];
}
