/**
 * Shared setup of the access tests: a key manager (memory storage, fake clock, a recording
 * notifier), a secret, an access object and a registered tool.
 */
import { agentAccess } from '../../src/access/index.js';
import type { AgentAccess, AgentAccessOptions, RegisterToolInput } from '../../src/access/types.js';
import type { KeyManager } from '../../src/manager/key-manager.js';
import { callbackNotifier } from '../../src/notifiers/index.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import type { FakeClock } from '../../src/testing/fake-clock.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';

export const SECRET_VALUE = 'sk_test_51HvQ8yKe7Wx9AbCdEfGhIjKlMnOp';

export interface AccessHarness {
  km: KeyManager;
  clock: FakeClock;
  storage: StorageAdapter;
  access: AgentAccess;
  events: KeyEvent[];
}

export function stripeTool(overrides: Partial<RegisterToolInput> = {}): RegisterToolInput {
  return {
    id: 'stripe',
    name: 'Payments',
    secret: 'STRIPE_KEY',
    environment: 'production',
    upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
    methods: ['GET', 'POST'],
    paths: ['/v1/charges', '/v1/charges/*'],
    risk: 'high',
    approval: 'required',
    approvals: 1,
    maxDuration: '1h',
    maxCalls: 100,
    ...overrides,
  };
}

export async function accessHarness(
  options: {
    access?: AgentAccessOptions;
    tool?: Partial<RegisterToolInput> | null;
    storage?: StorageAdapter;
  } = {},
): Promise<AccessHarness> {
  const events: KeyEvent[] = [];
  const { km, clock, storage } = createTestKeyManager({
    notifier: callbackNotifier((e) => {
      events.push(e);
    }),
    ...(options.storage !== undefined && { storage: options.storage }),
  });
  await km.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
  const access = agentAccess(km, options.access ?? {});
  if (options.tool !== null) await access.tools.register(stripeTool(options.tool ?? {}));
  return { km, clock, storage, access, events };
}

/** Creates, approves (by alice) and opens a request; returns the token and the session id. */
export async function openSession(
  h: AccessHarness,
  create: { duration?: string; maxCalls?: number } = {},
): Promise<{ token: string; sessionId: string; requestId: string }> {
  const req = await h.access.requests.create({
    toolId: 'stripe',
    agentId: 'agent-7',
    onBehalfOf: 'user_1',
    justification: 'refund order 123',
    ...create,
  });
  await h.access.requests.approve(req.id, { approver: 'alice' });
  const s = await h.access.sessions.open(req.id);
  return { token: s.token, sessionId: s.id, requestId: req.id };
}

export const CHARGES = { toolId: 'stripe', method: 'GET', path: '/v1/charges' } as const;
