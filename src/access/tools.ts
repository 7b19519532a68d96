/**
 * `access.tools`: register, get, list and remove the tools agents may call. A tool names a
 * keywarden secret (never its value), the one upstream origin, how the secret is sent, the methods
 * and paths allowed, and the approval rule.
 * @internal
 * @module
 */

import { KeywardenError } from '../errors.js';
import { iteratePages } from '../internal/iterate.js';
import type { StoredRecord } from '../ports/storage.js';
import { type UsageOptions, usageReport } from '../records/usage-report.js';
import { type AccessContext, findToolRecord } from './context.js';
import { draftOf } from './events.js';
import { asJson, newAccessRecord, readSessionData, type ToolData, toToolInfo } from './records.js';
import { actorOptionsSchema, registerToolSchema, toolIdSchema, toolListSchema } from './schemas.js';
import { revokeSessionRecord } from './session-ops.js';
import type { ToolInfo, ToolsView } from './types.js';
import { parseFields, parseValue } from './validate.js';

/**
 * Builds `access.tools`.
 *
 * @example
 * ```ts
 * const tools = createToolsView(a);
 * await tools.register({ id: 'stripe', secret: 'STRIPE_KEY', upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } } });
 * ```
 * @throws never itself; see each method.
 */
export function createToolsView(a: AccessContext): ToolsView {
  const { ctx } = a;

  async function register(raw: unknown): Promise<ToolInfo> {
    await ctx.ready();
    const input = parseFields(registerToolSchema, raw, 'input');
    const maxDuration = input.maxDuration ?? a.options.maxSessionDuration;
    if (maxDuration > a.options.maxSessionDuration) {
      throw new KeywardenError(
        'ERR_VALIDATION',
        'maxDuration: must not exceed the maxSessionDuration option',
        {
          field: 'maxDuration',
        },
      );
    }
    const now = ctx.clock.now();
    const data: ToolData = {
      displayName: input.name ?? input.id,
      description: input.description ?? null,
      secret: input.secret,
      secretEnvironment: input.environment ?? 'default',
      upstream: {
        origin: input.upstream.origin,
        auth: input.upstream.auth,
        allowPrivateNetwork: input.upstream.allowPrivateNetwork ?? false,
      },
      methods: input.methods ?? ['GET'],
      paths: input.paths ?? ['/**'],
      risk: input.risk ?? 'high',
      approval: input.approval ?? 'required',
      approvals: input.approvals ?? 1,
      maxDuration,
      maxCalls: input.maxCalls ?? null,
    };
    const record = newAccessRecord({
      id: ctx.newId(),
      kind: 'access_tool',
      name: input.id,
      uniqueName: true,
      tenantId: a.options.tenantId,
      ownerId: null,
      status: 'active',
      now,
      data: asJson(data),
    });
    await ctx.storage.create(record); // ERR_ALREADY_EXISTS on a taken tool id
    const info = toToolInfo(record);
    try {
      await ctx.audit(
        draftOf(
          { record, toolId: input.id, requestId: null, sessionId: null, agentId: null, onBehalfOf: null },
          'access.tool_registered',
          input.actor ?? null,
          {
            secret: data.secret,
            environment: data.secretEnvironment,
            origin: data.upstream.origin,
            auth: data.upstream.auth.type,
            methods: data.methods,
            paths: data.paths,
            risk: data.risk,
            approval: data.approval,
            approvals: data.approvals,
            maxDuration: data.maxDuration,
            maxCalls: data.maxCalls,
          },
        ),
      );
    } catch (error) {
      try {
        await ctx.storage.delete(record.id, { expectedRevision: record.revision });
      } catch {
        // already changed by someone else: leave it
      }
      throw error;
    }
    return info;
  }

  async function load(rawId: unknown): Promise<StoredRecord> {
    const id = parseValue(toolIdSchema, rawId, 'id');
    await ctx.ready();
    const record = await findToolRecord(a, id);
    if (record === null) throw new KeywardenError('ERR_NOT_FOUND', 'tool not found', { field: 'id' });
    return record;
  }

  async function remove(rawId: unknown, rawOptions?: unknown): Promise<void> {
    const { actor } = parseFields(actorOptionsSchema, rawOptions, 'options', true);
    const record = await load(rawId);
    const deleted = await ctx.storage.delete(record.id, { expectedRevision: record.revision });
    if (!deleted) throw new KeywardenError('ERR_NOT_FOUND', 'tool not found', { field: 'id' });
    try {
      await ctx.audit(
        draftOf(
          { record, toolId: record.name, requestId: null, sessionId: null, agentId: null, onBehalfOf: null },
          'access.tool_removed',
          actor ?? null,
        ),
      );
    } catch (error) {
      try {
        await ctx.storage.create(record);
      } catch {
        // recreated or taken meanwhile: nothing more to undo
      }
      throw error;
    }
    // Its open sessions end now (they would fail anyway: authorize refuses a missing tool).
    let cursor: string | undefined;
    do {
      const page = await ctx.storage.list({
        kind: 'access_session',
        tenantId: a.options.tenantId,
        status: 'active',
        name: record.name,
        limit: 100,
        ...(cursor !== undefined && { cursor }),
      });
      for (const s of page.items) {
        if (readSessionData(s).state !== 'active') continue;
        await revokeSessionRecord(a, s, { reason: 'tool removed', actor: actor ?? null });
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  const view: ToolsView = Object.freeze({
    register: register as ToolsView['register'],
    async get(id: string): Promise<ToolInfo> {
      return toToolInfo(await load(id));
    },
    async usage(id: string, options?: UsageOptions) {
      return usageReport(ctx, (await load(id)).id, options);
    },
    async list(rawQuery?: unknown) {
      const q = parseFields(toolListSchema, rawQuery, 'query', true);
      await ctx.ready();
      const page = await ctx.storage.list({
        kind: 'access_tool',
        tenantId: a.options.tenantId,
        limit: q.limit ?? 100,
        ...(q.cursor !== undefined && { cursor: q.cursor }),
      });
      return {
        items: page.items.map(toToolInfo),
        ...(page.cursor !== undefined && { cursor: page.cursor }),
      };
    },
    iterate: ((query) => iteratePages((q) => view.list(q), query)) as ToolsView['iterate'],
    remove: remove as ToolsView['remove'],
  });
  return view;
}
