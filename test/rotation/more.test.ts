/**
 * Cron and calendar policies through runDue, gradual provider rotations, two runners on provider
 * secrets, dry runs of resumable work, and the scheduler stopping itself after close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { harness } from './harness.js';

describe('schedules through runDue', () => {
  it('cron: rotates on each Monday 03:00 UTC', async () => {
    const h = harness(); // 2030-01-01 is a Tuesday
    const { key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.setPolicy(key.id, { cron: '0 3 * * 1', strategy: 'immediate' });
    const at: string[] = [];
    for (let hour = 0; hour < 24 * 28; hour++) {
      h.clock.advance('1h');
      const r = await h.rotator.runDue();
      if (r.rotated.length > 0) at.push(new Date(h.clock.now()).toISOString());
    }
    expect(at).toEqual([
      '2030-01-07T03:00:00.000Z',
      '2030-01-14T03:00:00.000Z',
      '2030-01-21T03:00:00.000Z',
      '2030-01-28T03:00:00.000Z',
    ]);
  });

  it('monthly: 12 rotations in a year of daily runs, on the 1st of each month', async () => {
    const h = harness();
    const s = await h.secrets.set('M', 'v');
    await h.rotator.setPolicy(s.id, { every: 'monthly' });
    const days: string[] = [];
    for (let d = 0; d < 365; d++) {
      h.clock.advance('1d');
      if ((await h.rotator.runDue()).rotated.length > 0)
        days.push(new Date(h.clock.now()).toISOString().slice(5, 10));
    }
    // day 365 is 2031-01-01
    expect(days).toEqual([
      '02-01',
      '03-01',
      '04-01',
      '05-01',
      '06-01',
      '07-01',
      '08-01',
      '09-01',
      '10-01',
      '11-01',
      '12-01',
      '01-01',
    ]);
  });
});

describe('provider rotations, more', () => {
  it('gradual: the provider value is pending after finish and promoted after promoteAfter', async () => {
    const h = harness();
    h.rotator.registerProvider('p', { create: async () => 'fresh' });
    const s = await h.secrets.set('P', 'old', { provider: 'p' });
    await h.rotator.setPolicy(s.id, { every: '30d', strategy: 'gradual', promoteAfter: '2h', overlap: '1h' });
    h.clock.advance('30d');
    const r = await h.rotator.runDue();
    expect(r.rotated.map((x) => x.version)).toEqual([2]);
    expect(await h.secrets.get('P')).toBe('old');
    expect(await h.secrets.get('P', { version: 2 })).toBe('fresh');
    h.clock.advance('2h');
    expect((await h.rotator.runDue()).promoted).toEqual([{ id: s.id, version: 2 }]);
    expect(await h.secrets.get('P')).toBe('fresh');
    h.clock.advance('1h');
    expect((await h.rotator.runDue()).retired).toEqual([{ id: s.id, version: 1 }]);
  });

  it('two runners on provider secrets: every hook sequence runs once per rotation', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const clock = fakeClock();
    const a = harness({ storage, masterKey, clock });
    const b = harness({ storage, masterKey, clock });
    const calls = new Map<string, string[]>();
    const provider = (who: string) => ({
      async create(c: { name: string }) {
        calls.set(c.name, [...(calls.get(c.name) ?? []), `${who}:create`]);
        return `${c.name}-v2`;
      },
      async finish(c: { name: string }) {
        calls.set(c.name, [...(calls.get(c.name) ?? []), `${who}:finish`]);
      },
    });
    a.rotator.registerProvider('p', provider('a'));
    b.rotator.registerProvider('p', provider('b'));
    for (let i = 0; i < 20; i++) {
      const s = await a.secrets.set(`S${i}`, 'v1', { provider: 'p' });
      await a.rotator.setPolicy(s.id, { every: '1d' });
    }
    clock.advance('1d');
    const [ra, rb] = await Promise.all([a.rotator.runDue(), b.rotator.runDue()]);
    expect(ra.rotated.length + rb.rotated.length).toBe(20);
    expect([...ra.failed, ...rb.failed]).toEqual([]);
    for (const [name, list] of calls) {
      expect(list).toHaveLength(2);
      expect(list[0]?.split(':')[0]).toBe(list[1]?.split(':')[0]); // one runner did both steps
      expect(await a.secrets.get(name)).toBe(`${name}-v2`);
    }
    expect(calls.size).toBe(20);
  });

  it('a dry run shows a resumable provider rotation without touching it', async () => {
    const h = harness();
    let hang = true;
    let reached: () => void = () => undefined;
    const atTest = new Promise<void>((r) => {
      reached = r;
    });
    h.rotator.registerProvider('p', {
      create: async () => 'x',
      test: () => {
        reached();
        return hang ? new Promise<void>(() => undefined) : Promise.resolve();
      },
    });
    const s = await h.secrets.set('P', 'old', { provider: 'p' });
    await h.rotator.setPolicy(s.id, { every: '1d' });
    h.clock.advance('1d');
    void h.rotator.runDue(); // hangs in test
    await atTest;
    h.clock.advance('20m');
    const before = await h.storage.get(s.id);
    const plan = await h.rotator.runDue({ dryRun: true });
    expect(plan.planned[0]?.actions).toEqual([{ type: 'resume', at: expect.any(Number), step: 'test' }]);
    expect(await h.storage.get(s.id)).toBe(before);
    hang = false;
    const r = await h.rotator.runDue();
    expect(r.rotated.map((x) => x.version)).toEqual([2]);
  });
});

describe('scheduler after close', () => {
  const realSet = globalThis.setInterval;
  const realClear = globalThis.clearInterval;
  afterEach(() => {
    globalThis.setInterval = realSet;
    globalThis.clearInterval = realClear;
  });

  it('stops its timer once the manager is closed', async () => {
    const timers: { fn: () => void; cleared: boolean; unref: () => void }[] = [];
    globalThis.setInterval = ((fn: () => void) => {
      const t = { fn, cleared: false, unref: () => undefined };
      timers.push(t);
      return t;
    }) as unknown as typeof setInterval;
    globalThis.clearInterval = ((t: { cleared: boolean }) => {
      t.cleared = true;
    }) as unknown as typeof clearInterval;
    const h = harness();
    const errors: unknown[] = [];
    let failed: () => void = () => undefined;
    const gotError = new Promise<void>((r) => {
      failed = r;
    });
    h.rotator.start({
      interval: '1m',
      onError: (e) => {
        errors.push(e);
        failed();
      },
    });
    await h.ctx.close();
    timers[0]?.fn();
    await gotError;
    expect(isKeywardenError(errors[0], 'ERR_CLOSED')).toBe(true);
    expect(timers[0]?.cleared).toBe(true);
  });
});
