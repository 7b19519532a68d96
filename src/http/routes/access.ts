/**
 * Routes for agent access (when the API is built with `access`): tools (registering or removing
 * one needs `keywarden:admin`: a tool decides where a secret is sent), requests (approve and deny
 * need `keywarden:approve`; nobody approves a request made by, or on behalf of, itself) and
 * sessions. Without `access` every one of them answers 404. Portable: no node:*.
 * @module
 */
import type { AccessLike } from '../access-types.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type Operator, type Route, type RouteContext } from '../route.js';
import {
  accessObject,
  accessPage,
  accessRequestsQuery,
  accessSessionsQuery,
  approveBody,
  denyBody,
  idParams,
  registerToolBody,
  revokeSessionBody,
} from '../schemas.js';
import { asPage, compact } from './util.js';

function accessOf(ctx: RouteContext): AccessLike {
  if (ctx.access === undefined) {
    throw new HttpProblem(404, 'ERR_NOT_FOUND', 'Agent access is not configured on this API');
  }
  return ctx.access;
}

/** Refuses an operator that is the request's agent or the one it acts for. */
async function assertNotOwnRequest(access: AccessLike, id: string, operator: Operator): Promise<void> {
  const request = await access.requests.get(id);
  const parties = [request.agentId, request.onBehalfOf].filter((p): p is string => typeof p === 'string');
  const me = [operator.id, operator.keyId];
  if (parties.some((p) => me.includes(p))) {
    throw new HttpProblem(403, 'ERR_FORBIDDEN', 'An operator cannot decide on its own access request');
  }
}

/** The agent-access routes. */
export const accessRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/access/tools',
    operationId: 'listAccessTools',
    summary: 'List registered tools',
    tag: 'access',
    scope: 'keywarden:read',
    status: 200,
    response: accessPage,
    handler: async (ctx) => ({ status: 200, body: asPage(await accessOf(ctx).tools.list()) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/tools',
    operationId: 'registerAccessTool',
    summary: 'Register (or replace) a tool; admin only, since a tool decides where a secret goes',
    tag: 'access',
    scope: 'keywarden:admin',
    body: registerToolBody,
    status: 201,
    response: accessObject,
    idempotent: true,
    handler: async (ctx, { body }) => ({
      status: 201,
      body: await accessOf(ctx).tools.register(body as never),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/tools/{id}',
    operationId: 'getAccessTool',
    summary: 'Get a tool',
    tag: 'access',
    scope: 'keywarden:read',
    params: idParams,
    status: 200,
    response: accessObject,
    handler: async (ctx, { params }) => ({ status: 200, body: await accessOf(ctx).tools.get(params.id) }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/access/tools/{id}',
    operationId: 'removeAccessTool',
    summary: 'Remove a tool (admin only)',
    tag: 'access',
    scope: 'keywarden:admin',
    params: idParams,
    status: 204,
    handler: async (ctx, { params }) => {
      await accessOf(ctx).tools.remove(params.id);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/access/requests',
    operationId: 'listAccessRequests',
    summary: 'List access requests',
    tag: 'access',
    scope: 'keywarden:read',
    query: accessRequestsQuery,
    status: 200,
    response: accessPage,
    handler: async (ctx, { query }) => ({
      status: 200,
      body: asPage(await accessOf(ctx).requests.list(compact(query))),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/requests/{id}/approve',
    operationId: 'approveAccessRequest',
    summary: 'Approve a request as the operator (never its own); a duration can only narrow it',
    tag: 'access',
    scope: 'keywarden:approve',
    params: idParams,
    body: approveBody,
    status: 200,
    response: accessObject,
    handler: async (ctx, { params, body, operator }) => {
      const access = accessOf(ctx);
      await assertNotOwnRequest(access, params.id, operator);
      const approved = await access.requests.approve(params.id, { ...compact(body), approver: operator.id });
      return { status: 200, body: approved };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/access/requests/{id}/deny',
    operationId: 'denyAccessRequest',
    summary: 'Deny a request as the operator',
    tag: 'access',
    scope: 'keywarden:approve',
    params: idParams,
    body: denyBody,
    status: 200,
    response: accessObject,
    handler: async (ctx, { params, body, operator }) => {
      const access = accessOf(ctx);
      await assertNotOwnRequest(access, params.id, operator);
      return {
        status: 200,
        body: await access.requests.deny(params.id, { approver: operator.id, reason: body.reason }),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/access/sessions',
    operationId: 'listAccessSessions',
    summary: 'List proxy sessions (never their tokens)',
    tag: 'access',
    scope: 'keywarden:read',
    query: accessSessionsQuery,
    status: 200,
    response: accessPage,
    handler: async (ctx, { query }) => ({
      status: 200,
      body: asPage(await accessOf(ctx).sessions.list(compact(query))),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/access/sessions/{id}/revoke',
    operationId: 'revokeAccessSession',
    summary: 'Revoke a proxy session now',
    tag: 'access',
    scope: 'keywarden:approve',
    params: idParams,
    body: revokeSessionBody,
    status: 200,
    response: accessObject,
    handler: async (ctx, { params, body, operator }) => ({
      status: 200,
      body: await accessOf(ctx).sessions.revoke(params.id, {
        reason: body.reason ?? `revoked by operator ${operator.id}`,
      }),
    }),
  }),
];
