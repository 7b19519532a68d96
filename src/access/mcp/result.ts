/**
 * MCP tool results: JSON text (and the same object as `structuredContent`) on success; on
 * failure `isError: true` with the stable code, the field and the message, never a stack trace
 * or an unexpected error's text.
 * @module
 */
import { isKeywardenError } from '../../errors.js';
import type { JsonObject } from '../../ports/json.js';

/** A `tools/call` result as the SDK's `CallToolResult` expects it (structurally). */
export interface AgentToolResult {
  [key: string]: unknown;
  /** One text block holding the result (or the error body) as JSON. */
  content: {
    /** Always `'text'`. */
    type: 'text';
    /** `JSON.stringify` of the result, or of `{ error, field?, message }` on failure. */
    text: string;
  }[];
  /** The same object as `content[0].text`, parsed. */
  structuredContent?: Record<string, unknown>;
  /** `true` on failure; absent on success. */
  isError?: boolean;
}

/**
 * A successful result.
 *
 * @example
 * ```ts
 * const result = ok({ tools: [] }); // { content: [{ type: 'text', text: '{"tools":[]}' }], structuredContent }
 * ```
 * @throws never.
 */
export function ok(value: JsonObject): AgentToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/**
 * A failed result from any thrown value: a KeywardenError keeps its code, field and message;
 * anything else becomes `ERR_INTERNAL` with a fixed message (its text could hold anything).
 *
 * @example
 * ```ts
 * declare const h: AgentHandlers;
 * const listTools = async () => {
 *   try { return ok(await h.listTools()); } catch (e) { return fail(e); }
 * };
 * ```
 * @throws never.
 */
export function fail(error: unknown): AgentToolResult {
  const body = isKeywardenError(error)
    ? {
        error: error.code,
        ...(error.field !== undefined && { field: error.field }),
        message: error.message,
      }
    : { error: 'ERR_INTERNAL', message: 'internal error' };
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body, isError: true };
}

/**
 * Runs an operation and turns its outcome into a tool result.
 *
 * @example
 * ```ts
 * declare const h: AgentHandlers;
 * import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * declare const server: McpServer;
 * server.registerTool('list_tools', {}, () => run(() => h.listTools()));
 * ```
 * @throws never.
 */
export async function run(op: () => Promise<JsonObject>): Promise<AgentToolResult> {
  try {
    return ok(await op());
  } catch (e) {
    return fail(e);
  }
}
