/**
 * Routes for the audit log: list (cursor pagination), verify the chain, and checkpoint (when the
 * manager has `km.audit.checkpoint`, added with the integrity work of 0.2; otherwise 501
 * `ERR_UNSUPPORTED`). Portable: no node:*.
 * @module
 */
import type { AuditListQuery } from '../../store/api-key-types.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type Route } from '../route.js';
import { auditCheckpoint, auditPage, auditQuery, auditVerify } from '../schemas.js';
import { compact } from './util.js';

/** `km.audit` with the checkpoint method of 0.2, when present. */
interface CheckpointingAudit {
  checkpoint?: () => Promise<unknown>;
}

/** The audit routes. */
export const auditRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/audit',
    operationId: 'listAuditEvents',
    summary: 'List audit events in order (cursor pagination)',
    tag: 'audit',
    scope: 'keywarden:read',
    query: auditQuery,
    status: 200,
    response: auditPage,
    handler: async ({ km }, { query }) => ({
      status: 200,
      body: await km.audit.list(compact(query) as AuditListQuery),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/audit/verify',
    operationId: 'verifyAuditChain',
    summary: 'Verify the hash chain of the audit log',
    tag: 'audit',
    scope: 'keywarden:read',
    status: 200,
    response: auditVerify,
    handler: async ({ km }) => ({ status: 200, body: await km.audit.verify() }),
  }),
  defineRoute({
    method: 'POST',
    path: '/audit/checkpoint',
    operationId: 'checkpointAudit',
    summary: 'Take a signed checkpoint of the audit log, to keep outside the store',
    tag: 'audit',
    scope: 'keywarden:write',
    status: 201,
    response: auditCheckpoint,
    handler: async ({ km }) => {
      const audit = km.audit as typeof km.audit & CheckpointingAudit;
      if (typeof audit.checkpoint !== 'function') {
        throw new HttpProblem(501, 'ERR_UNSUPPORTED', 'This key manager has no audit checkpoints');
      }
      return { status: 201, body: await audit.checkpoint() };
    },
  }),
];
