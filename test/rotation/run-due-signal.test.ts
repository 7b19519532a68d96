/**
 * `runDue({ signal, onProgress })`: progress after each due record (done of total), a caller's
 * signal stops the run between records (`interrupted`), reaches provider hooks, and the next run
 * does the rest; bad options are ERR_VALIDATION naming the field.
 */
import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import { harness } from './harness.js';

async function dueKeys(h: ReturnType<typeof harness>, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { key } = await h.apiKeys.create({ name: `k${i}` });
    await h.rotator.setPolicy(key.id, { every: '1d' });
    ids.push(key.id);
  }
  h.clock.advance('1d');
  return ids;
}

describe('runDue signal and onProgress', () => {
  it('reports progress after each due record, done of total', async () => {
    const h = harness();
    await dueKeys(h, 4);
    const progress: [number, number][] = [];
    const report = await h.rotator.runDue({ onProgress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(report.rotated).toHaveLength(4);
    expect(report.interrupted).toBe(false);
  });

  it('an abort stops the run between records; the next run rotates the rest', async () => {
    const h = harness();
    const ids = await dueKeys(h, 5);
    const controller = new AbortController();
    const report = await h.rotator.runDue({
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    });
    expect(report.interrupted).toBe(true);
    expect(report.rotated).toHaveLength(2);
    const rest = await h.rotator.runDue();
    expect(rest.interrupted).toBe(false);
    expect([...report.rotated, ...rest.rotated].map((r) => r.id).sort()).toEqual([...ids].sort());
    // an already aborted signal does nothing at all
    h.clock.advance('1d');
    const none = await h.rotator.runDue({ signal: AbortSignal.abort() });
    expect(none).toMatchObject({ interrupted: true, rotated: [], failed: [] });
    expect((await h.rotator.due()).length).toBe(5);
  });

  it('the caller signal reaches provider hooks', async () => {
    const h = harness();
    const controller = new AbortController();
    let seen: AbortSignal | null = null;
    h.rotator.registerProvider('acme', {
      async create(c) {
        seen = c.signal;
        controller.abort();
        return 'new-value';
      },
    });
    const info = await h.secrets.set('ACME_KEY', 'old', { provider: 'acme' });
    await h.rotator.setPolicy(info.id, { every: '30d' });
    h.clock.advance('30d');
    await h.rotator.runDue({ signal: controller.signal });
    expect(seen).not.toBeNull();
    expect((seen as unknown as AbortSignal).aborted).toBe(true);
  });

  it('bad signal or onProgress is ERR_VALIDATION naming the field, before any write', async () => {
    const h = harness();
    await dueKeys(h, 1);
    for (const [options, field] of [
      [{ signal: 'stop' }, 'options.signal'],
      [{ signal: { aborted: false } }, 'options.signal'],
      [{ onProgress: 5 }, 'options.onProgress'],
    ] as const) {
      const e = await h.rotator.runDue(options as never).catch((x: unknown) => x);
      expect(isKeywardenError(e, 'ERR_VALIDATION') && e.field).toBe(field);
    }
    expect((await h.rotator.due()).length).toBe(1);
  });
});
