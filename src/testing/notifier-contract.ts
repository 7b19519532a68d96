/**
 * The shared contract suite for {@link Notifier} implementations. Run it against your own notifier
 * with your test runner's `describe`, `it` and `expect`.
 * @module
 */
import type { KeyEvent, KeyEventType, Notifier } from '../ports/notifier.js';
import type { TestApi } from './types.js';

/** What `create` returns for each test: the notifier, and a way to read what it delivered. */
export interface NotifierHarness {
  /** The notifier under test, wired to a far end that `received` reads. */
  notifier: Notifier;
  /**
   * Every event the far end has received so far, in arrival order, as it arrived (e.g. parsed
   * from the webhook body). Called after `notify` has resolved.
   */
  received: () => Promise<KeyEvent[]>;
  /** Releases what `create` opened (servers, sockets). */
  close?: () => Promise<void>;
}

/** Options for {@link testNotifier}. */
export interface TestNotifierOptions extends TestApi {
  /** Suite name, e.g. `'webhookNotifier'`. */
  name: string;
  /** A fresh notifier and receiver for each test. */
  create: () => Promise<NotifierHarness>;
}

const BASE_TIME = Date.UTC(2030, 0, 1);

type EventsByType = { [T in KeyEventType]: Extract<KeyEvent, { type: T }> };

/**
 * One valid event of every {@link KeyEventType}, freshly built on each call (the mapped type
 * makes this fail to compile when a type is added to the union and not here).
 *
 * @example
 * ```ts
 * const notifier = consoleNotifier();
 * for (const event of sampleKeyEvents()) await notifier.notify(event);
 * ```
 * @throws never
 */
export function sampleKeyEvents(): KeyEvent[] {
  const base = {
    at: BASE_TIME,
    keyId: 'a1B2c3D4e5F6',
    kind: 'key' as const,
    name: 'signing-key',
    tenantId: null,
    environment: 'production',
    version: 2,
  };
  const byType: EventsByType = {
    'key.created': { ...base, type: 'key.created', kind: 'api_key', name: 'Mobile app', version: 1 },
    'key.rotated': { ...base, type: 'key.rotated', version: 3, previousVersion: 2, strategy: 'overlap' },
    'key.expiring': {
      ...base,
      type: 'key.expiring',
      kind: 'secret',
      name: 'STRIPE_SECRET_KEY',
      tenantId: 'tenant_42',
      expiresAt: BASE_TIME + 7 * 86_400_000,
      rotatesAt: null,
      reason: 'expiry',
      late: false,
    },
    'key.expired': { ...base, type: 'key.expired', expiresAt: BASE_TIME - 1000 },
    'key.revoked': { ...base, type: 'key.revoked', kind: 'api_key', name: 'CI "deploy" key', reason: null },
    'key.rolled_back': { ...base, type: 'key.rolled_back', version: 2, fromVersion: 3 },
    'version.promoted': { ...base, type: 'version.promoted', version: 4 },
    'version.retired': { ...base, type: 'version.retired', version: 1, environment: 'staging' },
    'security.token_leaked': {
      ...base,
      type: 'security.token_leaked',
      kind: 'api_key',
      name: 'CI deploy key',
      source: 'commit',
      url: 'https://github.com/octo/repo/blob/abc/config.yml',
      revoked: true,
    },
    'security.verify_failures': {
      ...base,
      type: 'security.verify_failures',
      kind: 'api_key',
      name: 'CI deploy key',
      rule: 'verify_failures',
      count: 20,
      windowMs: 60_000,
      network: null,
      sessionId: null,
      action: 'disabled',
    },
    'security.ip_failures': {
      ...base,
      type: 'security.ip_failures',
      kind: 'api_key',
      name: 'CI deploy key',
      rule: 'ip_failures',
      count: 50,
      windowMs: 60_000,
      network: '203.0.113.0/24',
      sessionId: null,
      action: 'none',
    },
    'security.new_network': {
      ...base,
      type: 'security.new_network',
      kind: 'api_key',
      name: 'CI deploy key',
      rule: 'new_network',
      count: 1,
      windowMs: 0,
      network: '2001:db8:1:2::/64',
      sessionId: null,
      action: 'none',
    },
    'security.usage_spike': {
      ...base,
      type: 'security.usage_spike',
      kind: 'api_key',
      name: 'CI deploy key',
      rule: 'usage_spike',
      count: 1200,
      windowMs: 60_000,
      network: null,
      sessionId: null,
      action: 'none',
    },
    'security.violations': {
      ...base,
      type: 'security.violations',
      kind: 'api_key',
      name: 'CI deploy key',
      rule: 'violations',
      count: 5,
      windowMs: 60_000,
      network: null,
      sessionId: 'Qs8k2LmP0aZx',
      action: 'none',
    },
    'rotation.failed': {
      ...base,
      type: 'rotation.failed',
      kind: 'secret',
      name: 'OPENAI_API_KEY',
      step: 'test',
      error: { code: 'ERR_ROTATION', message: 'provider test hook failed' },
      attempt: 2,
      nextAttemptAt: BASE_TIME + 600_000,
    },
    ...sampleAccessEvents(),
  };
  return Object.values(byType).map((e, i) => ({ ...e, at: e.at + i }));
}

type AccessType = Extract<KeyEventType, `access.${string}`>;

/** One event of every agent access type (`keywarden/access`). */
function sampleAccessEvents(): { [T in AccessType]: Extract<KeyEvent, { type: T }> } {
  const base = {
    at: BASE_TIME,
    keyId: 'Rq7Zk2mP9xWa',
    kind: 'access_request' as const,
    name: 'stripe',
    tenantId: null,
    environment: 'production',
    toolId: 'stripe',
    requestId: 'Rq7Zk2mP9xWa',
    sessionId: null,
    agentId: 'agent-7',
    onBehalfOf: 'user_1',
  };
  const session = {
    ...base,
    kind: 'access_session' as const,
    keyId: 'Ss3Yb8nQ1cVd',
    sessionId: 'Ss3Yb8nQ1cVd',
  };
  return {
    'access.requested': {
      ...base,
      type: 'access.requested',
      justification: 'refund order 123',
      risk: 'high',
      approvalsRequired: 1,
    },
    'access.approved': {
      ...base,
      type: 'access.approved',
      approver: 'alice',
      approvals: 1,
      approvalsRequired: 1,
    },
    'access.denied': { ...base, type: 'access.denied', approver: 'bob', reason: 'not this week' },
    'access.cancelled': { ...base, type: 'access.cancelled' },
    'access.expired': { ...base, type: 'access.expired' },
    'access.session_opened': {
      ...session,
      type: 'access.session_opened',
      expiresAt: BASE_TIME + 600_000,
      maxCalls: 100,
    },
    'access.session_ended': { ...session, type: 'access.session_ended', reason: 'revoked' },
    'access.violation': { ...session, type: 'access.violation', reason: 'path not allowed' },
  };
}

/** A JSON round trip: what a receiver on the other side of a wire sees. */
function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Registers the notifier contract tests: every event type is delivered intact, 20 concurrent
 * notifies are each delivered exactly once, `notify` returns a promise that resolves (after
 * delivery) and does not modify the event it is given.
 *
 * @example
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { testNotifier } from 'keywarden/testing';
 * testNotifier({
 *   name: 'callbackNotifier', describe, it, expect,
 *   create: async () => {
 *     const got: KeyEvent[] = [];
 *     return { notifier: callbackNotifier((e) => { got.push(e); }), received: async () => got };
 *   },
 * });
 * ```
 * @throws never itself; the registered tests fail through `expect`.
 */
export function testNotifier(options: TestNotifierOptions): void {
  const { describe, it, expect, name, create } = options;

  async function withHarness(fn: (h: NotifierHarness) => Promise<void>): Promise<void> {
    const harness = await create();
    try {
      await fn(harness);
    } finally {
      await harness.close?.();
    }
  }

  describe(`Notifier contract: ${name}`, () => {
    it('delivers one event of every type, intact after a JSON round trip', () =>
      withHarness(async ({ notifier, received }) => {
        const events = sampleKeyEvents();
        for (const event of events) await notifier.notify(event);
        const got = await received();
        expect(got).toHaveLength(events.length);
        expect(wire(got)).toEqual(wire(events));
      }));

    it('delivers 20 concurrent notifies exactly once each', () =>
      withHarness(async ({ notifier, received }) => {
        const [template] = sampleKeyEvents();
        const events = Array.from({ length: 20 }, (_, i) => ({
          ...(template as KeyEvent),
          keyId: `concurrent${String(i).padStart(2, '0')}`,
          version: i + 1,
        }));
        await Promise.all(events.map((e) => notifier.notify(e)));
        const got = wire(await received());
        expect(got).toHaveLength(20);
        const byKey = (a: KeyEvent, b: KeyEvent) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0);
        expect([...got].sort(byKey)).toEqual(wire(events).sort(byKey));
      }));

    it('notify returns a promise that resolves to undefined', () =>
      withHarness(async ({ notifier, received }) => {
        const [event] = sampleKeyEvents();
        const result = notifier.notify(event as KeyEvent);
        expect(typeof (result as { then?: unknown } | undefined)?.then).toBe('function');
        await expect(result).resolves.toBe(undefined);
        expect(await received()).toHaveLength(1);
      }));

    it('does not modify the event it is given', () =>
      withHarness(async ({ notifier }) => {
        const events = sampleKeyEvents();
        const before = JSON.stringify(events);
        for (const event of events) await notifier.notify(event);
        expect(JSON.stringify(events)).toBe(before);
      }));
  });
}
