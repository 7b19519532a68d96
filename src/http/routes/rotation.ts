/**
 * Routes for rotation: what is due, run the due work, set or clear a record's policy. A policy on
 * an API key with `keywarden:` scopes needs `keywarden:admin`. `POST /rotation/run` never returns
 * new API-key tokens: scheduled rotations deliver them only in-process (`onReport`).
 * Portable: no node:*.
 * @module
 */
import { isKeywardenError } from '../../errors.js';
import type { KeyManager } from '../../manager/key-manager.js';
import type { RotationPolicyInput, RunDueReport } from '../../records/rotation-types.js';
import { assertMayManage } from '../auth.js';
import { defineRoute, type Operator, type Route } from '../route.js';
import {
  dueList,
  dueQuery,
  idParams,
  policyInfo,
  rotationPolicySchema,
  runDueBody,
  runDueReport,
} from '../schemas.js';
import { compact } from './util.js';

async function assertMayManageRecord(km: KeyManager, id: string, operator: Operator): Promise<void> {
  if (operator.admin) return;
  try {
    const key = await km.apiKeys.get(id);
    assertMayManage(operator, key.scopes);
  } catch (error) {
    if (!isKeywardenError(error, 'ERR_NOT_FOUND')) throw error; // not an API key: a secret or signing key
  }
}

/** The report without the non-enumerable tokens (copied field by field, never spread). */
function publicReport(r: RunDueReport) {
  return {
    rotated: r.rotated.map((i) => ({
      id: i.id,
      kind: i.kind,
      version: i.version,
      previousVersion: i.previousVersion,
      strategy: i.strategy,
    })),
    promoted: r.promoted,
    retired: r.retired,
    expired: r.expired,
    notified: r.notified,
    failed: r.failed,
    skipped: r.skipped,
    planned: r.planned,
  };
}

/** The rotation routes. */
export const rotationRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/rotation/due',
    operationId: 'listDueRotations',
    summary: 'Records with rotation work due (within an optional look-ahead)',
    tag: 'rotation',
    scope: 'keywarden:read',
    query: dueQuery,
    status: 200,
    response: dueList,
    handler: async ({ km }, { query }) => ({
      status: 200,
      body: { items: await km.rotator.due(compact(query)) },
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/rotation/run',
    operationId: 'runDueRotations',
    summary: 'Do the due rotation work once (new API-key tokens are not returned)',
    tag: 'rotation',
    scope: 'keywarden:write',
    body: runDueBody,
    status: 200,
    response: runDueReport,
    handler: async ({ km }, { body }) => ({
      status: 200,
      body: publicReport(await km.rotator.runDue(compact(body))),
    }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/rotation/policies/{id}',
    operationId: 'setRotationPolicy',
    summary: "Set a record's rotation policy (schedule anchored now)",
    tag: 'rotation',
    scope: 'keywarden:write',
    params: idParams,
    body: rotationPolicySchema,
    status: 200,
    response: policyInfo,
    handler: async ({ km }, { params, body, operator }) => {
      await assertMayManageRecord(km, params.id, operator);
      const info = await km.rotator.setPolicy(params.id, compact(body) as RotationPolicyInput, {
        actor: operator.id,
      });
      return { status: 200, body: info };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/rotation/policies/{id}',
    operationId: 'clearRotationPolicy',
    summary: "Clear a record's rotation policy",
    tag: 'rotation',
    scope: 'keywarden:write',
    params: idParams,
    status: 204,
    handler: async ({ km }, { params, operator }) => {
      await assertMayManageRecord(km, params.id, operator);
      await km.rotator.setPolicy(params.id, null, { actor: operator.id });
      return { status: 204 };
    },
  }),
];
