/**
 * rotationReport on a manager with a fake clock: the window, counts per kind, the list limit, and
 * option validation. (The CLI test covers failures and due work through the real `keywarden`.)
 */
import { describe, expect, it } from 'vitest';
import { rotationReport } from '../../src/observability/index.js';
import { createTestKeyManager } from '../../src/testing/index.js';

describe('rotationReport', () => {
  it('counts rotations per kind inside the window only, and cuts lists at limit', async () => {
    const { km, clock } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'svc', expiresIn: null });
    const signer = await km.keys.create({ name: 'signer', type: 'hmac' });
    await km.rotator.rotate(key.id, { strategy: 'immediate' });
    clock.advance('10d');
    await km.rotator.rotate(key.id, { strategy: 'immediate' });
    await km.rotator.rotate(signer.id, { strategy: 'immediate' });
    await km.rotator.rotate(signer.id, { strategy: 'immediate' });

    const recent = await rotationReport(km, { since: '5d' });
    expect(recent.byKind).toEqual({
      api_key: { rotated: 1, failed: 0, due: 0 },
      secret: { rotated: 0, failed: 0, due: 0 },
      key: { rotated: 2, failed: 0, due: 0 },
    });
    expect(recent.until).toBe(clock.now());
    expect(recent.since).toBe(clock.now() - 5 * 86_400_000);
    expect(recent.rotated.map((r) => [r.id, r.version])).toEqual([
      [key.id, 3],
      [signer.id, 2],
      [signer.id, 3],
    ]);
    expect(recent.truncated).toBe(false);

    const all = await rotationReport(km, { limit: 2 });
    expect(all.byKind.api_key.rotated).toBe(2);
    expect(all.rotated).toHaveLength(2);
    expect(all.truncated).toBe(true);
    await km.close();
  });

  it('lists what falls due within the look-ahead', async () => {
    const { km } = createTestKeyManager();
    const { key } = await km.apiKeys.create({
      name: 'scheduled',
      expiresIn: null,
      rotation: { every: '7d' },
    });
    expect((await rotationReport(km)).due).toEqual([]);
    const ahead = await rotationReport(km, { within: '8d' });
    expect(ahead.due.map((d) => d.id)).toEqual([key.id]);
    expect(ahead.byKind.api_key.due).toBe(1);
    await km.close();
  });

  it('refuses bad options, naming the field', async () => {
    const { km } = createTestKeyManager();
    const cases: [unknown, string][] = [
      [{ since: 'soon' }, 'options.since'],
      [{ within: -1 }, 'options.within'],
      [{ limit: 0 }, 'options.limit'],
      [null, 'options'],
    ];
    for (const [options, field] of cases) {
      await expect(rotationReport(km, options as never)).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
        field,
      });
    }
    await km.close();
  });
});
