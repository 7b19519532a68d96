import { describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { callbackNotifier } from '../../src/notifiers/callback.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { sampleKeyEvents, testNotifier } from '../../src/testing/notifier-contract.js';

/** The contract, once with a synchronous and once with an asynchronous callback. */
const callbacks: [name: string, make: (got: KeyEvent[]) => (e: KeyEvent) => void | Promise<void>][] = [
  [
    'callbackNotifier',
    (got) => (e) => {
      got.push(e);
    },
  ],
  [
    'callbackNotifier (async callback)',
    (got) => async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      got.push(e);
    },
  ],
];
for (const [name, make] of callbacks) {
  testNotifier({
    name,
    describe,
    it,
    expect,
    create: async () => {
      const got: KeyEvent[] = [];
      return { notifier: callbackNotifier(make(got)), received: async () => got };
    },
  });
}

describe('callbackNotifier', () => {
  const [event] = sampleKeyEvents() as [KeyEvent];

  it('rejects a non-function with ERR_VALIDATION naming fn', () => {
    for (const bad of [undefined, null, 42, 'fn', {}]) {
      let caught: unknown;
      try {
        callbackNotifier(bad as never);
      } catch (e) {
        caught = e;
      }
      expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
      expect((caught as KeywardenError).field).toBe('fn');
    }
  });

  it('turns a throwing callback into ERR_NOTIFY with the cause', async () => {
    const boom = new Error('boom');
    const n = callbackNotifier(() => {
      throw boom;
    });
    const err = await n.notify(event).catch((e: unknown) => e);
    expect(isKeywardenError(err, 'ERR_NOTIFY')).toBe(true);
    expect((err as KeywardenError).cause).toBe(boom);
  });

  it('turns a rejecting callback into ERR_NOTIFY', async () => {
    const n = callbackNotifier(async () => {
      throw new TypeError('nope');
    });
    await expect(n.notify(event)).rejects.toMatchObject({ code: 'ERR_NOTIFY' });
  });

  it('waits for an async callback before resolving', async () => {
    let done = false;
    const n = callbackNotifier(async () => {
      await new Promise((r) => setTimeout(r, 20));
      done = true;
    });
    await n.notify(event);
    expect(done).toBe(true);
  });

  it('hands the callback a copy, so edits do not reach the caller', async () => {
    const original = structuredClone(event);
    const n = callbackNotifier((e) => {
      (e as { name: string }).name = 'changed';
    });
    await n.notify(event);
    expect(event).toEqual(original);
  });
});
