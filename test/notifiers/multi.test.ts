import { describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { callbackNotifier } from '../../src/notifiers/callback.js';
import { multiNotifier } from '../../src/notifiers/multi.js';
import type { KeyEvent, Notifier } from '../../src/ports/notifier.js';
import { sampleKeyEvents, testNotifier } from '../../src/testing/notifier-contract.js';

testNotifier({
  name: 'multiNotifier (two callbacks, both must receive)',
  describe,
  it,
  expect,
  create: async () => {
    const a: KeyEvent[] = [];
    const b: KeyEvent[] = [];
    return {
      notifier: multiNotifier(
        callbackNotifier((e) => {
          a.push(e);
        }),
        callbackNotifier((e) => {
          b.push(e);
        }),
      ),
      received: async () => {
        expect(b).toEqual(a);
        return a;
      },
    };
  },
});

describe('multiNotifier', () => {
  const [event] = sampleKeyEvents() as [KeyEvent];
  const failing = (msg: string): Notifier => ({
    notify: async () => {
      throw new Error(msg);
    },
  });

  it('delivers to every notifier even when some fail, then rejects with the count', async () => {
    const got: string[] = [];
    const n = multiNotifier([
      callbackNotifier((e) => {
        got.push(`a:${e.type}`);
      }),
      failing('x'),
      callbackNotifier((e) => {
        got.push(`c:${e.type}`);
      }),
      { notify: () => Promise.reject(new Error('y')) },
    ]);
    const err = (await n.notify(event).catch((e: unknown) => e)) as KeywardenError;
    expect(isKeywardenError(err, 'ERR_NOTIFY')).toBe(true);
    expect(err.message).toContain('2 of 4');
    expect(err.cause).toBeInstanceOf(AggregateError);
    expect((err.cause as AggregateError).errors).toHaveLength(2);
    expect(got.sort()).toEqual([`a:${event.type}`, `c:${event.type}`]);
  });

  it('catches a notifier that throws synchronously', async () => {
    const sync: Notifier = {
      notify: () => {
        throw new Error('sync');
      },
    };
    const got: KeyEvent[] = [];
    const n = multiNotifier(
      sync,
      callbackNotifier((e) => {
        got.push(e);
      }),
    );
    await expect(n.notify(event)).rejects.toMatchObject({
      code: 'ERR_NOTIFY',
      message: '1 of 2 notifiers failed',
    });
    expect(got).toHaveLength(1);
  });

  it('runs notifiers in parallel', async () => {
    const started: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = (i: number): Notifier => ({
      notify: async () => {
        started.push(i);
        await gate;
      },
    });
    const p = multiNotifier(slow(1), slow(2), slow(3)).notify(event);
    await new Promise((r) => setTimeout(r, 0));
    expect(started.sort()).toEqual([1, 2, 3]); // all started before any finished
    release();
    await expect(p).resolves.toBe(undefined);
  });

  it('accepts no notifiers (resolves)', async () => {
    await expect(multiNotifier().notify(event)).resolves.toBe(undefined);
    await expect(multiNotifier([]).notify(event)).resolves.toBe(undefined);
  });

  it('rejects a non-notifier with ERR_VALIDATION naming its index', () => {
    const ok = callbackNotifier(() => {});
    for (const [bad, field] of [
      [[ok, null], 'notifiers.1'],
      [[{}], 'notifiers.0'],
      [[ok, ok, { notify: 'no' }], 'notifiers.2'],
    ] as const) {
      let caught: unknown;
      try {
        multiNotifier(...(bad as unknown as Notifier[]));
      } catch (e) {
        caught = e;
      }
      expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
      expect((caught as KeywardenError).field).toBe(field);
    }
  });
});
