/**
 * Provider hooks: create → set → test → finish, failures (discard pending, keep current, notify
 * once, backoff), resuming after a crash between steps, unregistered providers.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey } from '../../src/kms/index.js';
import type { ProviderContext, RotationProvider } from '../../src/records/rotation-types.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { harness } from './harness.js';

function recorder(overrides: Partial<RotationProvider> = {}) {
  const calls: { step: string; version: number; value?: string; currentValue?: string }[] = [];
  let n = 0;
  const log = (step: string) => (c: ProviderContext) => {
    const entry: (typeof calls)[number] = { step, version: c.version };
    if (c.value !== undefined) entry.value = c.value;
    if (c.currentValue !== undefined) entry.currentValue = c.currentValue;
    calls.push(entry);
  };
  const provider: RotationProvider = {
    async create(c) {
      log('create')(c);
      n++;
      return `new-value-${n}`;
    },
    async set(c) {
      log('set')(c);
    },
    async test(c) {
      log('test')(c);
    },
    async finish(c) {
      log('finish')(c);
    },
    async revoke(c) {
      log('revoke')(c);
    },
    ...overrides,
  };
  return { provider, calls };
}

async function auditTypes(h: ReturnType<typeof harness>, keyId: string) {
  const page = await h.storage.listAudit({ keyId, limit: 1000 });
  return page.items.map((e) => e.type);
}

describe('provider rotations', () => {
  it('runs create → set → test → finish and makes the new value current (overlap keeps the old)', async () => {
    const h = harness();
    const { provider, calls } = recorder();
    h.rotator.registerProvider('acme', provider);
    const info = await h.secrets.set('ACME_KEY', 'old-value', { provider: 'acme' });
    await h.rotator.setPolicy(info.id, { every: '30d' });
    h.clock.advance('30d');
    const report = await h.rotator.runDue();
    expect(report.failed).toEqual([]);
    expect(report.rotated).toEqual([
      { id: info.id, kind: 'secret', version: 2, previousVersion: 1, strategy: 'overlap' },
    ]);
    expect(calls.map((c) => c.step)).toEqual(['create', 'set', 'test', 'finish']);
    expect(calls[0]).toEqual({ step: 'create', version: 2, currentValue: 'old-value' });
    for (const c of calls.slice(1))
      expect(c).toEqual({ step: c.step, version: 2, value: 'new-value-1', currentValue: 'old-value' });
    expect(await h.secrets.get('ACME_KEY')).toBe('new-value-1');
    expect(await h.secrets.get('ACME_KEY', { version: 1 })).toBe('old-value');
    const types = await auditTypes(h, info.id);
    expect(types.filter((t) => t === 'rotation.step')).toHaveLength(3);
    expect(types).toContain('rotation.started');
    expect(types.filter((t) => t === 'key.rotated')).toHaveLength(1);
    expect(h.ofType('key.rotated')).toHaveLength(1);
    const policy = await h.rotator.getPolicy(info.id);
    expect(policy?.nextRotationAt).toBe(h.clock.now() + 30 * 86_400_000);
    expect(policy?.attempts).toBe(0);
    // no value in events, audit data or the stored record
    const everything = JSON.stringify([
      h.events,
      (await h.storage.listAudit({ limit: 1000 })).items,
      await h.storage.get(info.id),
    ]);
    expect(everything).not.toContain('new-value-1');
    expect(everything).not.toContain('old-value');
  });

  it('a failing test step keeps the current secret, discards the pending one, notifies once, backs off', async () => {
    const h = harness();
    let failTest = true;
    const { provider, calls } = recorder({
      async test() {
        calls.push({ step: 'test', version: 0 });
        if (failTest) throw new Error('upstream said: token sk_live_SHOULD_NOT_LEAK is invalid');
      },
    });
    h.rotator.registerProvider('acme', provider);
    const info = await h.secrets.set('ACME_KEY', 'old-value', { provider: 'acme' });
    await h.rotator.setPolicy(info.id, { every: '30d' });
    h.clock.advance('30d');
    const report = await h.rotator.runDue();
    expect(report.rotated).toEqual([]);
    expect(report.failed).toEqual([
      { id: info.id, code: 'ERR_ROTATION', message: "the provider's test hook failed (Error)" },
    ]);
    expect(await h.secrets.get('ACME_KEY')).toBe('old-value');
    const record = await h.storage.get(info.id);
    const pending = record?.versions.find((v) => v.version === 2);
    expect(pending).toMatchObject({ state: 'retired', sealed: null });
    expect(pending?.destroyedAt).toBe(h.clock.now());
    expect(record?.versions.find((v) => v.version === 1)?.state).toBe('current');
    const failed = h.ofType('rotation.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ step: 'test', attempt: 1, nextAttemptAt: h.clock.now() + 60_000 });
    expect(JSON.stringify(h.events)).not.toContain('SHOULD_NOT_LEAK');
    expect(JSON.stringify((await h.storage.listAudit({ limit: 1000 })).items)).not.toContain(
      'SHOULD_NOT_LEAK',
    );
    expect(calls.some((c) => c.step === 'revoke' && c.value === 'new-value-1')).toBe(true);

    // later runs before the retry time do nothing and notify nothing
    h.clock.advance('59s');
    expect((await h.rotator.runDue()).failed).toEqual([]);
    expect(h.ofType('rotation.failed')).toHaveLength(1);
    // the retry fails again: backoff doubles
    h.clock.advance('1s');
    const second = await h.rotator.runDue();
    expect(second.failed).toHaveLength(1);
    expect(h.ofType('rotation.failed')[1]).toMatchObject({
      attempt: 2,
      nextAttemptAt: h.clock.now() + 120_000,
    });
    // fixed: the next retry succeeds, attempts reset
    failTest = false;
    h.clock.advance('2m');
    const third = await h.rotator.runDue();
    expect(third.rotated.map((r) => r.version)).toEqual([4]);
    expect(await h.secrets.get('ACME_KEY')).toBe('new-value-3');
    expect((await h.rotator.getPolicy(info.id))?.attempts).toBe(0);
    expect(h.ofType('rotation.failed')).toHaveLength(2);
  });

  it('backoff is capped at one hour', async () => {
    const h = harness();
    h.rotator.registerProvider('down', {
      async create() {
        throw new Error('down');
      },
    });
    const info = await h.secrets.set('DOWN', 'v', { provider: 'down' });
    await h.rotator.setPolicy(info.id, { every: '30d' });
    h.clock.advance('30d');
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      await h.rotator.runDue();
      const p = await h.rotator.getPolicy(info.id);
      delays.push((p?.retryAt as number) - h.clock.now());
      h.clock.set(p?.retryAt as number);
    }
    expect(delays.map((d) => d / 60_000)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(await h.secrets.get('DOWN')).toBe('v');
  });

  it('a process killed between steps is resumed where it stopped by another runner', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const clock = fakeClock();
    const a = harness({ storage, masterKey, clock });
    const b = harness({ storage, masterKey, clock });
    let release: () => void = () => undefined;
    let reachedTest: () => void = () => undefined;
    const atTest = new Promise<void>((r) => {
      reachedTest = r;
    });
    const hung = recorder({
      test: () =>
        new Promise<void>((resolve) => {
          reachedTest();
          release = resolve;
        }),
    });
    a.rotator.registerProvider('acme', hung.provider);
    const resumed = recorder();
    b.rotator.registerProvider('acme', resumed.provider);

    const info = await a.secrets.set('ACME_KEY', 'old-value', { provider: 'acme' });
    await a.rotator.setPolicy(info.id, { every: '30d' });
    clock.advance('30d');
    const runA = a.rotator.runDue(); // "dies" inside the test hook
    await atTest;
    expect(hung.calls.map((c) => c.step)).toEqual(['create', 'set']);
    const mid = await storage.get(info.id);
    expect(mid?.versions.find((v) => v.version === 2)?.data['step']).toBe('test');

    // before the lease ends nobody takes over
    clock.advance('10m');
    expect((await b.rotator.runDue()).rotated).toEqual([]);
    expect(resumed.calls).toEqual([]);
    clock.advance('6m');
    const report = await b.rotator.runDue();
    expect(report.rotated.map((r) => r.version)).toEqual([2]);
    expect(resumed.calls.map((c) => c.step)).toEqual(['test', 'finish']);
    expect(resumed.calls[0]?.value).toBe('new-value-1'); // the value A created, not a new one
    expect(await b.secrets.get('ACME_KEY')).toBe('new-value-1');

    // the old process wakes up: it lost the lease and writes nothing, emits nothing
    release();
    const lateReport = await runA;
    expect(lateReport.rotated).toEqual([]);
    expect(lateReport.skipped).toEqual([{ id: info.id, reason: 'lease lost to another runner' }]);
    expect(hung.calls.map((c) => c.step)).toEqual(['create', 'set']);
    expect([...a.ofType('key.rotated'), ...b.ofType('key.rotated')]).toHaveLength(1);
    expect((await storage.get(info.id))?.versions.map((v) => [v.version, v.state])).toEqual([
      [1, 'previous'],
      [2, 'current'],
    ]);
  });

  it('an unregistered provider fails with a clear code and keeps the current value', async () => {
    const h = harness();
    const info = await h.secrets.set('GHOST', 'v1', { provider: 'nobody' });
    await h.rotator.setPolicy(info.id, { every: '30d' });
    h.clock.advance('30d');
    const report = await h.rotator.runDue();
    expect(report.failed).toEqual([
      { id: info.id, code: 'ERR_ROTATION', message: 'rotation provider "nobody" is not registered' },
    ]);
    expect(h.ofType('rotation.failed')).toHaveLength(1);
    expect(await h.secrets.get('GHOST')).toBe('v1');
  });

  it('manual rotate runs the hooks and returns the version; a failure throws ERR_ROTATION', async () => {
    const h = harness();
    let fail = false;
    const { provider } = recorder({
      async finish() {
        if (fail) throw new Error('no');
      },
    });
    h.rotator.registerProvider('acme', provider);
    const info = await h.secrets.set('ACME_KEY', 'old', { provider: 'acme' });
    const r = await h.rotator.rotate(info.id, { strategy: 'immediate' });
    expect(r).toEqual({ version: 2, state: 'current', previousVersion: 1 });
    expect(await h.secrets.get('ACME_KEY')).toBe('new-value-1');
    fail = true;
    const error = await h.rotator.rotate(info.id).catch((e: unknown) => e);
    expect(isKeywardenError(error, 'ERR_ROTATION')).toBe(true);
    expect(await h.secrets.get('ACME_KEY')).toBe('new-value-1');
  });

  it('registerProvider validates its input', () => {
    const h = harness();
    const bad = [
      ['', { create: async () => 'x' }, 'name'],
      ['ok', {}, 'provider.create'],
      ['ok', { create: async () => 'x', test: 'no' }, 'provider.test'],
    ] as const;
    for (const [name, p, field] of bad) {
      let error: unknown;
      try {
        h.rotator.registerProvider(name, p as unknown as RotationProvider);
      } catch (e) {
        error = e;
      }
      expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
      expect((error as { field?: string }).field).toBe(field);
    }
  });
});
