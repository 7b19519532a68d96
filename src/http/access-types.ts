/**
 * The part of an `AgentAccess` (from `keywarden/access`) the management API calls, typed
 * structurally so the API works with any object that has these methods. Portable: no node:*.
 * @module
 */

/** A page or an array, as the access service lists things. */
export type ListResult<T> = T[] | { items: T[]; cursor?: string | undefined };

/** An access request as the API reads it: who asked for it decides who may approve it. */
export interface AccessRequestLike {
  id: string;
  agentId: string;
  onBehalfOf?: string | null | undefined;
}

/**
 * What `managementApi(km, { access })` needs of the agent-access service.
 *
 * @example
 * ```ts
 * import { agentAccess } from 'keywarden/access';
 * const api = managementApi(km, { access: agentAccess(km) });
 * ```
 */
export interface AccessLike {
  tools: {
    list(query?: Record<string, unknown>): Promise<ListResult<unknown>>;
    get(id: string): Promise<unknown>;
    register(input: never): Promise<unknown>;
    remove(id: string): Promise<unknown>;
  };
  requests: {
    list(query?: Record<string, unknown>): Promise<ListResult<unknown>>;
    get(id: string): Promise<AccessRequestLike>;
    approve(id: string, options: { approver: string; duration?: string | number }): Promise<unknown>;
    deny(id: string, options: { approver: string; reason: string }): Promise<unknown>;
  };
  sessions: {
    list(query?: Record<string, unknown>): Promise<ListResult<unknown>>;
    revoke(id: string, options: { reason: string }): Promise<unknown>;
  };
}
