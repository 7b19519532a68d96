/**
 * `keywarden/access`: AI agents and tools use the secrets they need without ever holding them.
 * See docs/agent-access.md.
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { AgentAccess, AgentAccessOptions } from './types.js';

export type * from './types.js';

/**
 * Builds the agent access capability of a key manager.
 *
 * @example
 * ```ts
 * const access = agentAccess(km, { pendingTtl: '24h' });
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` (stub, being implemented).
 */
export function agentAccess(_km: unknown, _options?: AgentAccessOptions): AgentAccess {
  throw new KeywardenError('ERR_UNSUPPORTED', 'agentAccess: not implemented yet');
}
