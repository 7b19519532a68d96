/**
 * The part of an `AgentAccess` (from `keywarden/access`) the management API calls, typed
 * structurally so the API works with any object that has these methods. Portable: no node:*.
 * @module
 */

/** A page or an array, as the access service lists things. */
export type ListResult<T> =
  | T[]
  | {
      /** The items of this page. */
      items: T[];
      /** The next page's cursor; absent on the last page. */
      cursor?: string | undefined;
    };

/** An access request as the API reads it: who asked for it decides who may approve it. */
export interface AccessRequestLike {
  /** The request id. */
  id: string;
  /** The agent that asked: an operator with this id (or key id) may not approve or deny it. */
  agentId: string;
  /** The user the agent acts for: may not approve or deny it either. Null or absent when none. */
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
  /** Tools (`/access/tools` routes). */
  tools: {
    /** Lists registered tools (`GET /access/tools`). */
    list(query?: Record<string, unknown>): Promise<ListResult<unknown>>;
    /** One tool (`GET /access/tools/{id}`); rejects with `ERR_NOT_FOUND` when absent. */
    get(id: string): Promise<unknown>;
    /** Registers a tool from the request body (`POST /access/tools`, admin scope). */
    register(input: never): Promise<unknown>;
    /** Removes a tool (`DELETE /access/tools/{id}`). */
    remove(id: string): Promise<unknown>;
  };
  /** Access requests (`/access/requests` routes). */
  requests: {
    /** Lists requests with the query's filters (`GET /access/requests`). */
    list(query?: Record<string, unknown>): Promise<ListResult<unknown>>;
    /** One request: read before approve/deny to refuse an operator deciding its own request. */
    get(id: string): Promise<AccessRequestLike>;
    /** Approves as `approver` (the operator's id), narrowing the grant with the body's options. */
    approve(id: string, options: { approver: string; duration?: string | number }): Promise<unknown>;
    /** Denies as `approver` (the operator's id) with the body's `reason`. */
    deny(id: string, options: { approver: string; reason: string }): Promise<unknown>;
  };
  /** Sessions (`/access/sessions` routes). */
  sessions: {
    /** Lists sessions with the query's filters (`GET /access/sessions`). */
    list(query?: Record<string, unknown>): Promise<ListResult<unknown>>;
    /** Revokes a session (`POST /access/sessions/{id}/revoke`). */
    revoke(id: string, options: { reason: string }): Promise<unknown>;
  };
}
