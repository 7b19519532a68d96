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
