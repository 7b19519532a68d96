import { describe, expect, it } from 'vitest';
import type { AccessLike } from '../../src/http/index.js';
import { call, fixture } from './harness.js';

// LEAD: switch this structural stand-in to the real `agentAccess(km)` from keywarden/access once
// both branches are merged (only the access part is faked; the key manager is real).
function accessStandIn() {
  const tools = new Map<string, Record<string, unknown>>();
  const requests = new Map<
    string,
    Record<string, unknown> & { id: string; agentId: string; status: string }
  >();
  const sessions = new Map<string, { id: string; status: string; toolId: string; reason?: string }>();
  const calls: { method: string; args: unknown[] }[] = [];
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw Object.assign(new Error(`${what} not found`), { name: 'KeywardenError' });
    return v;
  };
  const access: AccessLike = {
    tools: {
      list: async () => [...tools.values()],
      get: async (id) => need(tools.get(id), 'tool'),
      register: async (input: Record<string, unknown>) => {
        tools.set(String(input.id), { ...input });
        calls.push({ method: 'tools.register', args: [input] });
        return { ...input };
      },
      remove: async (id) => tools.delete(id),
    },
    requests: {
      list: async (q) => ({
        items: [...requests.values()].filter((r) => q?.status === undefined || r.status === q.status),
      }),
      get: async (id) => need(requests.get(id), 'request'),
      approve: async (id, o) => {
        calls.push({ method: 'requests.approve', args: [id, o] });
        const r = need(requests.get(id), 'request');
        r.status = 'approved';
        r.approver = o.approver;
        return r;
      },
      deny: async (id, o) => {
        calls.push({ method: 'requests.deny', args: [id, o] });
        const r = need(requests.get(id), 'request');
        r.status = 'denied';
        return r;
      },
    },
    sessions: {
      list: async () => [...sessions.values()],
      revoke: async (id, o) => {
        const s = need(sessions.get(id), 'session');
        s.status = 'revoked';
        s.reason = o.reason;
        return s;
      },
    },
  };
  requests.set('req_1', {
    id: 'req_1',
    agentId: 'agent-7',
    onBehalfOf: 'user_1',
    status: 'pending',
    toolId: 'stripe',
  });
  requests.set('req_2', {
    id: 'req_2',
    agentId: 'agent-7',
    onBehalfOf: 'bob',
    status: 'pending',
    toolId: 'stripe',
  });
  requests.set('req_3', {
    id: 'req_3',
    agentId: 'bob',
    onBehalfOf: null,
    status: 'pending',
    toolId: 'stripe',
  });
  sessions.set('ses_1', { id: 'ses_1', status: 'active', toolId: 'stripe' });
  return { access, calls, requests, sessions };
}

const TOOL = {
  id: 'stripe',
  name: 'Payments',
  secret: 'STRIPE_KEY',
  upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
  methods: ['GET'],
  paths: ['/v1/charges'],
  approval: 'required',
};

describe('management API: agent access', () => {
  it('answers 404 on every /access route when no access service is configured', async () => {
    const { api, tokens } = await fixture();
    for (const [method, path] of [
      ['GET', '/access/tools'],
      ['GET', '/access/requests'],
      ['POST', '/access/requests/req_1/approve'],
      ['GET', '/access/sessions'],
    ] as const) {
      const r = await call(api, method, path, {
        token: tokens.admin,
        body: method === 'POST' ? {} : undefined,
      });
      expect(r.status).toBe(404);
      expect(r.json.code).toBe('ERR_NOT_FOUND');
    }
  });

  it('registers tools (admin only), lists and gets them, removes them', async () => {
    const s = accessStandIn();
    const { api, tokens } = await fixture({ access: s.access });
    const denied = await call(api, 'POST', '/access/tools', { token: tokens.write, body: TOOL });
    expect(denied.status).toBe(403);
    expect(s.calls).toEqual([]);
    const reg = await call(api, 'POST', '/access/tools', { token: tokens.admin, body: TOOL });
    expect(reg.status).toBe(201);
    expect((await call(api, 'GET', '/access/tools', { token: tokens.read })).json.items).toHaveLength(1);
    expect((await call(api, 'GET', '/access/tools/stripe', { token: tokens.read })).json.name).toBe(
      'Payments',
    );
    const missing = await call(api, 'POST', '/access/tools', {
      token: tokens.admin,
      body: { ...TOOL, upstream: undefined },
    });
    expect(missing.status).toBe(400);
    expect(missing.json.field).toBe('body.upstream');
    expect((await call(api, 'DELETE', '/access/tools/stripe', { token: tokens.admin })).status).toBe(204);
  });

  it('approves as the operator identity and never lets an operator approve or deny its own request', async () => {
    const s = accessStandIn();
    const { api, tokens } = await fixture({ access: s.access });
    const ok = await call(api, 'POST', '/access/requests/req_1/approve', {
      token: tokens.approve,
      body: { duration: '5m' },
    });
    expect(ok.status).toBe(200);
    expect(s.calls).toContainEqual({
      method: 'requests.approve',
      args: ['req_1', { duration: '5m', approver: 'bob' }],
    });

    for (const id of ['req_2', 'req_3']) {
      for (const verb of ['approve', 'deny']) {
        const self = await call(api, 'POST', `/access/requests/${id}/${verb}`, {
          token: tokens.approve,
          body: verb === 'deny' ? { reason: 'no' } : {},
        });
        expect([id, verb, self.status, self.json.code]).toEqual([id, verb, 403, 'ERR_FORBIDDEN']);
      }
    }
    expect(s.requests.get('req_2')?.status).toBe('pending');
    expect(s.requests.get('req_3')?.status).toBe('pending');

    const readOnly = await call(api, 'POST', '/access/requests/req_2/approve', {
      token: tokens.read,
      body: {},
    });
    expect(readOnly.status).toBe(403);
    const byAdmin = await call(api, 'POST', '/access/requests/req_2/deny', {
      token: tokens.admin,
      body: { reason: 'not needed' },
    });
    expect(byAdmin.status).toBe(200);
    expect(s.calls.at(-1)).toEqual({
      method: 'requests.deny',
      args: ['req_2', { approver: 'alice', reason: 'not needed' }],
    });
    const noReason = await call(api, 'POST', '/access/requests/req_3/deny', {
      token: tokens.admin,
      body: {},
    });
    expect(noReason.status).toBe(400);
    expect(noReason.json.field).toBe('body.reason');

    const pending = await call(api, 'GET', '/access/requests?status=pending', { token: tokens.read });
    expect(pending.json.items.map((r: { id: string }) => r.id)).toEqual(['req_3']);
  });

  it('lists and revokes sessions', async () => {
    const s = accessStandIn();
    const { api, tokens } = await fixture({ access: s.access });
    expect((await call(api, 'GET', '/access/sessions', { token: tokens.read })).json.items).toHaveLength(1);
    const r = await call(api, 'POST', '/access/sessions/ses_1/revoke', {
      token: tokens.approve,
      body: { reason: 'done' },
    });
    expect(r.status).toBe(200);
    expect(s.sessions.get('ses_1')).toMatchObject({ status: 'revoked', reason: 'done' });
  });
});
