/**
 * The rotator as wired into the key manager: `km.rotator` over `createTestKeyManager()`.
 */
import { describe, expect, it } from 'vitest';
import { callbackNotifier } from '../../src/notifiers/callback.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';

describe('km.rotator', () => {
  it('is part of the manager and rotates through its views', async () => {
    const events: KeyEvent[] = [];
    const { km, clock } = createTestKeyManager({
      notifier: callbackNotifier((e) => {
        events.push(e);
      }),
    });
    const { token, key } = await km.apiKeys.create({ name: 'svc', expiresIn: null });
    await km.rotator.setPolicy(key.id, {
      every: 'monthly',
      strategy: 'overlap',
      overlap: '1d',
      notifyBefore: '3d',
    });
    clock.advance('31d');
    const report = await km.rotator.runDue();
    expect(report.rotated).toHaveLength(1);
    const fresh = report.rotated[0]?.token as string;
    expect((await km.apiKeys.verify(fresh)).valid).toBe(true);
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    clock.advance('1d');
    await km.rotator.runDue();
    expect((await km.apiKeys.verify(token)).valid).toBe(false);
    expect((await km.apiKeys.get(key.id)).version).toBe(2);
    // the notice (3 days before) fell inside the 31 days no runner ran: it is sent late, once
    expect(events.map((e) => e.type)).toEqual([
      'key.created',
      'key.rotated',
      'key.expiring',
      'version.retired',
    ]);
    expect(events.find((e) => e.type === 'key.expiring')).toMatchObject({ reason: 'rotation', late: true });
    expect(await km.audit.verify()).toMatchObject({ ok: true });
    await km.close();
  });
});

describe('km.rotator by name', () => {
  it('takes { secret } and { key } names with an environment where the views do', async () => {
    const { km } = createTestKeyManager();
    await km.secrets.set('OPENAI_API_KEY', 'sk-1', { environment: 'production' });
    await km.keys.create({ name: 'session', type: 'ed25519' });
    const policy = await km.rotator.setPolicy(
      { secret: 'OPENAI_API_KEY', environment: 'production' },
      { every: '30d' },
    );
    expect(policy?.every).toBe(30 * 86_400_000);
    const info = await km.secrets.info('OPENAI_API_KEY', { environment: 'production' });
    expect((await km.rotator.getPolicy(info.id))?.every).toBe(30 * 86_400_000); // same record as by id
    const rotated = await km.rotator.rotate({ key: 'session' });
    expect(rotated.version).toBe(2);
    expect((await km.keys.info('session')).version).toBe(2);
    await expect(km.rotator.rotate({ secret: 'OPENAI_API_KEY' })).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND', // not in the default environment
      field: 'target.secret',
    });
    await expect(km.rotator.rotate({ secret: 'A', key: 'B' } as never)).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'target',
    });
    await expect(km.rotator.getPolicy({ key: 'session', environment: '' })).rejects.toMatchObject({
      field: 'target.environment',
    });
    await km.close();
  });
});
