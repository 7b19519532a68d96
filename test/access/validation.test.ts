import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import type { AgentAccess } from '../../src/access/types.js';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { snapshot } from '../support/store-context.js';
import { accessHarness, stripeTool } from './helpers.js';

type Case = [label: string, field: string, run: (a: AgentAccess) => Promise<unknown> | unknown];

const any = (v: unknown) => v as never;

const CASES: Case[] = [
  ['tool id with a slash', 'id', (a) => a.tools.register(stripeTool({ id: 'a/b' }))],
  ['tool id upper case', 'id', (a) => a.tools.register(stripeTool({ id: 'Stripe' }))],
  ['no secret', 'secret', (a) => a.tools.register(any({ ...stripeTool(), secret: undefined }))],
  [
    'origin with a path',
    'upstream.origin',
    (a) =>
      a.tools.register(stripeTool({ upstream: { origin: 'https://x.com/v1', auth: { type: 'bearer' } } })),
  ],
  [
    'origin with credentials',
    'upstream.origin',
    (a) =>
      a.tools.register(stripeTool({ upstream: { origin: 'https://u:p@x.com', auth: { type: 'bearer' } } })),
  ],
  [
    'http origin without allowPrivateNetwork',
    'upstream.origin',
    (a) => a.tools.register(stripeTool({ upstream: { origin: 'http://x.com', auth: { type: 'bearer' } } })),
  ],
  [
    'ftp origin',
    'upstream.origin',
    (a) => a.tools.register(stripeTool({ upstream: { origin: 'ftp://x.com', auth: { type: 'bearer' } } })),
  ],
  [
    'unknown auth type',
    'upstream.auth.type',
    (a) =>
      a.tools.register(stripeTool({ upstream: { origin: 'https://x.com', auth: any({ type: 'oauth' }) } })),
  ],
  [
    'header auth with a bad name',
    'upstream.auth.name',
    (a) =>
      a.tools.register(
        stripeTool({ upstream: { origin: 'https://x.com', auth: { type: 'header', name: 'x api key' } } }),
      ),
  ],
  [
    'header auth on host',
    'upstream.auth.name',
    (a) =>
      a.tools.register(
        stripeTool({ upstream: { origin: 'https://x.com', auth: { type: 'header', name: 'Host' } } }),
      ),
  ],
  ['bad method', 'methods.0', (a) => a.tools.register(stripeTool({ methods: ['GE T'] }))],
  ['no methods', 'methods', (a) => a.tools.register(stripeTool({ methods: [] }))],
  ['relative path', 'paths.0', (a) => a.tools.register(stripeTool({ paths: ['v1/charges'] }))],
  ['** in the middle', 'paths.0', (a) => a.tools.register(stripeTool({ paths: ['/v1/**/x'] }))],
  ['.. in a path', 'paths.0', (a) => a.tools.register(stripeTool({ paths: ['/v1/../admin'] }))],
  ['approvals 0', 'approvals', (a) => a.tools.register(stripeTool({ approvals: 0 }))],
  ['maxDuration over the option', 'maxDuration', (a) => a.tools.register(stripeTool({ maxDuration: '2h' }))],
  ['maxDuration garbage', 'maxDuration', (a) => a.tools.register(stripeTool({ maxDuration: 'soon' }))],
  ['maxCalls 0', 'maxCalls', (a) => a.tools.register(stripeTool({ maxCalls: 0 }))],
  ['unknown tool option', 'color', (a) => a.tools.register(any({ ...stripeTool(), color: 'red' }))],
  ['register not an object', 'input', (a) => a.tools.register(any('stripe'))],
  [
    'request without agent',
    'agentId',
    (a) => a.requests.create(any({ toolId: 'stripe', justification: 'x' })),
  ],
  [
    'request with empty justification',
    'justification',
    (a) => a.requests.create({ toolId: 'stripe', agentId: 'a', justification: '' }),
  ],
  [
    'request with a control character',
    'justification',
    (a) => a.requests.create({ toolId: 'stripe', agentId: 'a', justification: 'a\u0007' }),
  ],
  [
    'request context not JSON',
    'context',
    (a) =>
      a.requests.create({
        toolId: 'stripe',
        agentId: 'a',
        justification: 'x',
        context: any({ d: new Date() }),
      }),
  ],
  [
    'request duration negative',
    'duration',
    (a) => a.requests.create({ toolId: 'stripe', agentId: 'a', justification: 'x', duration: -5 }),
  ],
  ['approve without approver', 'approver', (a) => a.requests.approve('abcdefghijkl', any({}))],
  ['approve a bad id', 'id', (a) => a.requests.approve('../etc', { approver: 'alice' })],
  ['deny without reason', 'reason', (a) => a.requests.deny('abcdefghijkl', any({ approver: 'bob' }))],
  ['open a bad id', 'requestId', (a) => a.sessions.open(any(42))],
  ['revoke with an unknown option', 'force', (a) => a.sessions.revoke('abcdefghijkl', any({ force: true }))],
  ['list with a bad status', 'status', (a) => a.requests.list(any({ status: 'live' }))],
  ['list with limit 0', 'limit', (a) => a.sessions.list({ limit: 0 })],
  ['verify with an unknown option', 'scope', (a) => a.verify('x', any({ scope: 'y' }))],
  ['fetch a relative url', 'url', (a) => a.fetch('x', '/v1/charges')],
  ['fetch a url with credentials', 'url', (a) => a.fetch('x', 'https://u:p@api.stripe.com/v1/charges')],
  ['violation without reason', 'reason', (a) => a.reportViolation(any({ toolId: 'stripe' }))],
  [
    'violation with a token as session id',
    'sessionId',
    (a) => a.reportViolation({ sessionId: `kwp_${'a'.repeat(12)}_${'b'.repeat(38)}`, reason: 'x' }),
  ],
  ['sweep with a bad limit', 'limit', (a) => a.sweep({ limit: -1 })],
];

describe('bad inputs get ERR_VALIDATION naming the field, and write nothing', () => {
  it.each(CASES)('%s -> %s', async (_label, field, run) => {
    const h = await accessHarness();
    const before = await snapshot(h.storage);
    let caught: unknown;
    try {
      await run(h.access);
    } catch (error) {
      caught = error;
    }
    expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
    expect((caught as KeywardenError).field).toBe(field);
    expect(await snapshot(h.storage)).toBe(before);
  });

  it('validates agentAccess options when built', () => {
    const { km } = createTestKeyManager();
    for (const [options, field] of [
      [{ pendingTtl: 'tomorrow' }, 'pendingTtl'],
      [{ maxSessionDuration: 0 }, 'maxSessionDuration'],
      [{ tenantId: '' }, 'tenantId'],
      [{ auditCalls: 'yes' }, 'auditCalls'],
      [{ ttl: '1h' }, 'ttl'],
    ] as const) {
      let caught: unknown;
      try {
        agentAccess(km, options as never);
      } catch (error) {
        caught = error;
      }
      expect((caught as KeywardenError).field).toBe(field);
    }
    expect(() => agentAccess({} as never)).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'km' }),
    );
  });

  it('a tool id taken twice is ERR_ALREADY_EXISTS; a request for an unknown tool ERR_NOT_FOUND', async () => {
    const h = await accessHarness();
    await expect(h.access.tools.register(stripeTool())).rejects.toMatchObject({ code: 'ERR_ALREADY_EXISTS' });
    await expect(
      h.access.requests.create({ toolId: 'github', agentId: 'a', justification: 'x' }),
    ).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', field: 'toolId' });
  });

  it('a malformed access record in the store is refused with ERR_INTEGRITY, never used', async () => {
    const h = await accessHarness();
    const req = await h.access.requests.create({ toolId: 'stripe', agentId: 'a', justification: 'x' });
    const record = await h.storage.get(req.id);
    if (!record) throw new Error('missing');
    await h.storage.update(
      {
        ...record,
        revision: record.revision + 1,
        data: { ...record.data, state: 'approved', approvals: 'many' },
      },
      { expectedRevision: record.revision },
    );
    await expect(h.access.requests.get(req.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    await expect(h.access.sessions.open(req.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
  });
});
