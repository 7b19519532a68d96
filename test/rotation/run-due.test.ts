/**
 * runDue details: dry runs, due(), expiry, notices, idle retirement, reports, validation,
 * failures; cleanup; the scheduler.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { wrapStorage } from '../support/store-context.js';
import { DAY, harness } from './harness.js';

describe('runDue', () => {
  it('dryRun plans and writes nothing', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.setPolicy(key.id, { every: '1d', notifyBefore: '1h' });
    h.clock.advance('1d');
    const before = await h.storage.get(key.id);
    const audit = (await h.storage.listAudit({ limit: 1000 })).items.length;
    const report = await h.rotator.runDue({ dryRun: true });
    expect(report.planned).toEqual([
      expect.objectContaining({
        id: key.id,
        actions: [
          // the notice an hour before was missed: it is planned late, before the rotation
          { type: 'notify', version: 1, at: h.clock.now() - 3_600_000, reason: 'rotation' },
          { type: 'rotate', at: h.clock.now(), strategy: 'overlap', provider: null },
        ],
      }),
    ]);
    expect(report.rotated).toEqual([]);
    expect(await h.storage.get(key.id)).toBe(before);
    expect((await h.storage.listAudit({ limit: 1000 })).items).toHaveLength(audit);
    expect(h.ofType('key.rotated')).toHaveLength(0);
  });

  it('due({ within }) lists what comes due in the window, without writing', async () => {
    const h = harness();
    const { key: a } = await h.apiKeys.create({ name: 'a' });
    const { key: b } = await h.apiKeys.create({ name: 'b' });
    await h.rotator.setPolicy(a.id, { every: '3d' });
    await h.rotator.setPolicy(b.id, { every: '10d' });
    expect(await h.rotator.due()).toEqual([]);
    const soon = await h.rotator.due({ within: '5d' });
    expect(soon.map((i) => i.id)).toEqual([a.id]);
    expect(soon[0]?.actions.map((x) => x.type)).toEqual(['rotate']);
    expect((await h.rotator.due({ within: '10d' })).map((i) => i.id)).toEqual([a.id, b.id]);
    const e = await h.rotator.due({ within: 'later' }).catch((x: unknown) => x);
    expect(isKeywardenError(e, 'ERR_VALIDATION') && e.field).toBe('options.within');
  });

  it('marks expired records once and notifies key.expired once; an expiry notice comes first', async () => {
    const h = harness();
    const { token, key } = await h.apiKeys.create({ name: 'k', expiresIn: '10d' });
    await h.rotator.setPolicy(key.id, { notifyBefore: '2d' });
    h.clock.advance('8d');
    const r1 = await h.rotator.runDue();
    expect(r1.notified).toEqual([{ id: key.id, version: 1, reason: 'expiry' }]);
    expect(h.ofType('key.expiring')[0]).toMatchObject({
      reason: 'expiry',
      expiresAt: key.expiresAt,
      rotatesAt: null,
      late: false,
    });
    h.clock.advance('2d');
    const r2 = await h.rotator.runDue();
    expect(r2.expired).toEqual([{ id: key.id }]);
    expect((await h.storage.get(key.id))?.status).toBe('expired');
    expect((await h.storage.get(key.id))?.dueAt).toBeNull();
    await h.rotator.runDue();
    expect(h.ofType('key.expired')).toHaveLength(1);
    expect(h.ofType('key.expiring')).toHaveLength(1);
    expect((await h.storage.listAudit({ type: 'key.expired', limit: 10 })).items).toHaveLength(1);
    expect((await h.apiKeys.verify(token)).valid).toBe(false);
  });

  it('a notice whose moment passed while no runner was up is sent late, once, with its own rotatesAt', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    const set = await h.rotator.setPolicy(key.id, { every: '30d', notifyBefore: '7d' });
    h.clock.advance('31d'); // the runner was down through the notice and the rotation
    const report = await h.rotator.runDue();
    expect(report.rotated).toHaveLength(1);
    expect(report.notified).toEqual([{ id: key.id, version: 1, reason: 'rotation' }]);
    expect(h.ofType('key.expiring')).toHaveLength(1);
    expect(h.ofType('key.expiring')[0]).toMatchObject({
      reason: 'rotation',
      rotatesAt: set?.nextRotationAt,
      expiresAt: set?.nextRotationAt, // kept for 0.1 consumers (deprecated for rotations)
      late: true,
    });
    await h.rotator.runDue();
    expect(h.ofType('key.expiring')).toHaveLength(1); // once
    expect((await h.rotator.getPolicy(key.id))?.nextRotationAt).toBe(h.clock.now() - DAY + 30 * DAY);
  });

  it('retires an idle previous API-key version early when usage data says so', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.setPolicy(key.id, {
      strategy: 'gradual',
      promoteAfter: '1h',
      overlap: '30d',
      idleRetireAfter: '1d',
    });
    await h.rotator.rotate(key.id);
    h.clock.advance('1h');
    await h.rotator.runDue();
    // usage tracking is a later feature: simulate its record of the last use of version 1
    const rec = await h.storage.get(key.id);
    if (!rec) throw new Error('missing');
    const lastUsedAt = h.clock.now();
    const versions = rec.versions.map((v) =>
      v.version === 1 ? { ...v, data: { ...v.data, lastUsedAt } } : v,
    );
    await h.storage.update(
      { ...rec, versions, revision: rec.revision + 1, dueAt: lastUsedAt + DAY },
      { expectedRevision: rec.revision },
    );
    h.clock.advance('1d');
    const report = await h.rotator.runDue();
    expect(report.retired).toEqual([{ id: key.id, version: 1 }]);
  });

  it('idleRetireAfter fires from verify usage: an unused previous version retires early, a used one does not', async () => {
    const h = harness();
    const idle = await h.apiKeys.create({ name: 'idle' });
    const busy = await h.apiKeys.create({ name: 'busy' });
    const policy = {
      strategy: 'gradual',
      promoteAfter: '1h',
      overlap: '30d',
      idleRetireAfter: '1d',
    } as const;
    for (const k of [idle, busy]) {
      await h.rotator.setPolicy(k.key.id, policy);
      await h.rotator.rotate(k.key.id); // version 2 pending
    }
    h.clock.advance('30m');
    for (const k of [idle, busy]) expect((await h.apiKeys.verify(k.token)).valid).toBe(true); // clients still on v1
    h.clock.advance('30m');
    await h.rotator.runDue(); // promote: version 1 is previous until +30d
    await h.ctx.usage?.flush(); // the batch lands after the promotion: the flush itself must move dueAt
    expect((await h.storage.get(idle.key.id))?.dueAt).toBe(h.clock.now() - 1_800_000 + DAY);
    const retired: { id: string; version: number }[] = [];
    for (let step = 0; step < 6; step++) {
      h.clock.advance('12h');
      expect((await h.apiKeys.verify(busy.token)).valid).toBe(true); // still in use
      await h.ctx.usage?.flush();
      retired.push(...(await h.rotator.runDue()).retired);
    }
    // three days in, far before the 30-day overlap ends
    expect(retired).toEqual([{ id: idle.key.id, version: 1 }]);
    expect(await h.apiKeys.verify(idle.token)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect((await h.apiKeys.verify(busy.token)).valid).toBe(true);
    const busyV1 = (await h.storage.get(busy.key.id))?.versions.find((v) => v.version === 1);
    expect(busyV1?.state).toBe('previous');
  });

  it('validates options', async () => {
    const h = harness();
    for (const [options, field] of [
      [{ limit: 0 }, 'options.limit'],
      [{ limit: 10_001 }, 'options.limit'],
      [{ dryRun: 'yes' }, 'options.dryRun'],
      [{ now: -1 }, 'options.now'],
      [{ other: 1 }, 'options'],
    ] as const) {
      const e = await h.rotator.runDue(options as never).catch((x: unknown) => x);
      expect(isKeywardenError(e, 'ERR_VALIDATION') && e.field).toBe(field);
    }
  });

  it('respects limit and reports a failed audit as failed (record left as it was)', async () => {
    const { storage, hooks } = wrapStorage(memoryStorage());
    const h = harness({ storage });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { key } = await h.apiKeys.create({ name: `k${i}` });
      await h.rotator.setPolicy(key.id, { every: '1d' });
      ids.push(key.id);
    }
    h.clock.advance('1d');
    expect((await h.rotator.runDue({ limit: 2 })).rotated).toHaveLength(2);
    hooks.failAudit = true;
    const report = await h.rotator.runDue();
    hooks.failAudit = false;
    expect(report.failed).toEqual([expect.objectContaining({ code: 'ERR_AUDIT' })]);
    const failedId = report.failed[0]?.id as string;
    expect((await storage.get(failedId))?.versions).toHaveLength(1);
    expect((await h.rotator.runDue()).rotated.map((r) => r.id)).toEqual([failedId]);
  });
});

describe('cleanup', () => {
  it('destroys the material of long-retired versions and keeps metadata', async () => {
    const h = harness();
    const { token: t1, key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.rotate(key.id, { strategy: 'immediate' });
    const s = await h.secrets.set('S', 'one');
    await h.rotator.rotate(s.id, { strategy: 'immediate' });
    h.clock.advance('10d');
    expect((await h.rotator.cleanup({ retiredOlderThan: '30d' })).destroyed).toEqual([]);
    h.clock.advance('21d');
    const report = await h.rotator.cleanup({ retiredOlderThan: '30d' });
    expect(report.destroyed).toEqual(
      expect.arrayContaining([
        { id: key.id, version: 1 },
        { id: s.id, version: 1 },
      ]),
    );
    expect(report.destroyed).toHaveLength(2);
    const v1 = (await h.storage.get(key.id))?.versions[0];
    expect(v1).toMatchObject({
      version: 1,
      state: 'retired',
      hash: null,
      sealed: null,
      destroyedAt: h.clock.now(),
    });
    expect((await h.storage.get(s.id))?.versions[0]).toMatchObject({
      sealed: null,
      destroyedAt: h.clock.now(),
    });
    expect((await h.apiKeys.verify(t1)).valid).toBe(false);
    expect((await h.storage.listAudit({ type: 'version.destroyed', limit: 10 })).items).toHaveLength(2);
    expect((await h.rotator.cleanup({ retiredOlderThan: '30d' })).destroyed).toEqual([]);
    const e = await h.rotator.cleanup({} as never).catch((x: unknown) => x);
    expect(isKeywardenError(e, 'ERR_VALIDATION') && e.field).toBe('options.retiredOlderThan');
  });
});

describe('scheduler', () => {
  const realSet = globalThis.setInterval;
  const realClear = globalThis.clearInterval;
  afterEach(() => {
    globalThis.setInterval = realSet;
    globalThis.clearInterval = realClear;
  });

  function stubTimers() {
    const timers: { fn: () => void; ms: number; unref: ReturnType<typeof vi.fn>; cleared: boolean }[] = [];
    globalThis.setInterval = ((fn: () => void, ms: number) => {
      const t = { fn, ms, unref: vi.fn(), cleared: false };
      timers.push(t);
      return t;
    }) as unknown as typeof setInterval;
    globalThis.clearInterval = ((t: { cleared: boolean }) => {
      t.cleared = true;
    }) as unknown as typeof clearInterval;
    return timers;
  }

  it('runs runDue on an unref-ed interval, never overlapping, and stops', async () => {
    const timers = stubTimers();
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.setPolicy(key.id, { every: '1d' });
    h.clock.advance('1d');
    const reports: unknown[] = [];
    let reported: () => void = () => undefined;
    const firstReport = new Promise<void>((r) => {
      reported = r;
    });
    h.rotator.start({
      interval: '5m',
      onReport: (r) => {
        reports.push(r);
        reported();
      },
    });
    expect(timers).toHaveLength(1);
    expect(timers[0]?.ms).toBe(300_000);
    expect(timers[0]?.unref).toHaveBeenCalledOnce();
    timers[0]?.fn();
    timers[0]?.fn(); // a tick while a run is in flight is skipped
    await firstReport;
    await h.rotator.stop();
    expect(timers[0]?.cleared).toBe(true);
    expect(reports).toHaveLength(1);
    expect(h.ofType('key.rotated')).toHaveLength(1);
    const e = (() => {
      try {
        h.rotator.start({ interval: '10ms' });
      } catch (x) {
        return x;
      }
    })();
    expect(isKeywardenError(e, 'ERR_VALIDATION') && e.field).toBe('options.interval');
  });

  it('reports errors to onError, never to the event loop', async () => {
    const timers = stubTimers();
    const inner = memoryStorage();
    const broken: StorageAdapter = {
      ...inner,
      name: 'broken',
      dueForRotation: async () => Promise.reject(new Error('db down')),
    };
    for (const k of Object.keys(inner) as (keyof StorageAdapter)[]) {
      if (k !== 'dueForRotation' && typeof inner[k] === 'function') {
        (broken as unknown as Record<string, unknown>)[k] = (inner[k] as (...a: unknown[]) => unknown).bind(
          inner,
        );
      }
    }
    const h = harness({ storage: broken });
    const errors: unknown[] = [];
    h.rotator.start({ interval: '1m', onError: (x) => errors.push(x) });
    timers[0]?.fn();
    await h.rotator.stop();
    expect(errors).toHaveLength(1);
    expect(isKeywardenError(errors[0], 'ERR_STORAGE')).toBe(true);
    // a throwing onError is contained too
    h.rotator.start({
      interval: '1m',
      onError: () => {
        throw new Error('bad handler');
      },
    });
    timers[1]?.fn();
    await h.rotator.stop();
  });
});
