/**
 * Policies: validation (ERR_VALIDATION naming the field, nothing written), normalization, schedules
 * (fixed, named UTC calendar, cron) and applyInitialPolicy.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isKeywardenError } from '../../src/errors.js';
import {
  applyInitialPolicy,
  normalizePolicy,
  parsePolicyInput,
  readPolicy,
  rotationPolicySchema,
} from '../../src/records/policy.js';
import { addMonthsUtc, nextOccurrence } from '../../src/records/schedule.js';
import { makeRecord } from '../../src/testing/fixtures.js';
import { DAY, harness } from './harness.js';

const T0 = Date.UTC(2030, 0, 31, 12, 0, 0);

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isKeywardenError(e, 'ERR_VALIDATION')) return e.field;
    throw e;
  }
  return 'no error';
}

describe('policy validation', () => {
  const cases: [unknown, string][] = [
    [{ every: '30x' }, 'policy.every'],
    [{ every: 'fortnightly' }, 'policy.every'],
    [{ every: -5 }, 'policy.every'],
    [{ every: '30s' }, 'policy.every'],
    [{ every: '1d', cron: '0 0 * * *' }, 'policy.cron'],
    [{ cron: 'not a cron' }, 'policy.cron'],
    [{ cron: '0 0 31 2 *' }, 'policy.cron'],
    [{ cron: '' }, 'policy.cron'],
    [{ strategy: 'yolo' }, 'policy.strategy'],
    [{ overlap: '1 day' }, 'policy.overlap'],
    [{ promoteAfter: -1 }, 'policy.promoteAfter'],
    [{ notifyBefore: 0 }, 'policy.notifyBefore'],
    [{ strategy: 'gradual', idleRetireAfter: '5s' }, 'policy.idleRetireAfter'],
    [{ strategy: 'overlap', idleRetireAfter: '5d' }, 'policy.idleRetireAfter'],
    [{ every: '30d', extra: 1 }, 'policy'],
    ['30d', 'policy'],
    [[], 'policy'],
  ];
  it.each(cases)('%j → ERR_VALIDATION on %s', (input, field) => {
    expect(fieldOf(() => parsePolicyInput(input, 'policy'))).toBe(field);
  });

  it('setPolicy with a bad policy writes nothing', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    const before = await h.storage.get(key.id);
    const auditBefore = (await h.storage.listAudit({ limit: 1000 })).items.length;
    const error = await h.rotator
      .setPolicy(key.id, { every: '30d', strategy: 'nope' as never })
      .catch((e: unknown) => e);
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    expect((error as { field: string }).field).toBe('policy.strategy');
    expect(await h.storage.get(key.id)).toEqual(before);
    expect((await h.storage.listAudit({ limit: 1000 })).items).toHaveLength(auditBefore);
  });

  it('setPolicy on an unknown id is ERR_NOT_FOUND; a malformed id ERR_VALIDATION', async () => {
    const h = harness();
    const e1 = await h.rotator.setPolicy('AAAAAAAAAAAA', { every: '1d' }).catch((e: unknown) => e);
    expect(isKeywardenError(e1, 'ERR_NOT_FOUND')).toBe(true);
    const e2 = await h.rotator.setPolicy('bad id', { every: '1d' }).catch((e: unknown) => e);
    expect(isKeywardenError(e2, 'ERR_VALIDATION')).toBe(true);
    expect((e2 as { field: string }).field).toBe('id');
  });
});

describe('normalization and storage', () => {
  it('stores plain JSON with defaults, ms durations and the next rotation', () => {
    const p = normalizePolicy(parsePolicyInput({ every: '30d', notifyBefore: '7d' }, 'policy'), T0, null);
    expect(p).toMatchObject({
      every: 30 * DAY,
      schedule: null,
      cron: null,
      strategy: 'overlap',
      overlap: DAY,
      promoteAfter: 3_600_000,
      notifyBefore: 7 * DAY,
      nextRotationAt: T0 + 30 * DAY,
      attempts: 0,
    });
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('setPolicy stores, audits rotation.policy_set, and null clears it', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    const info = await h.rotator.setPolicy(key.id, { every: 'weekly', strategy: 'gradual' });
    expect(info).toMatchObject({
      schedule: 'weekly',
      strategy: 'gradual',
      nextRotationAt: h.clock.now() + 7 * DAY,
    });
    const stored = await h.storage.get(key.id);
    expect(stored?.dueAt).toBe(h.clock.now() + 7 * DAY);
    expect((await h.storage.listAudit({ type: 'rotation.policy_set', limit: 10 })).items).toHaveLength(1);
    expect(await h.rotator.setPolicy(key.id, null)).toBeNull();
    expect((await h.storage.get(key.id))?.rotation).toBeNull();
    expect((await h.storage.get(key.id))?.dueAt).toBeNull();
    expect(await h.rotator.getPolicy(key.id)).toBeNull();
  });

  it('applyInitialPolicy accepts the output of rotationPolicySchema embedded in a view schema', () => {
    const view = z.strictObject({ name: z.string(), rotation: z.optional(rotationPolicySchema) });
    const parsed = view.parse({ name: 'k', rotation: { every: '30d', overlap: '2h', strategy: 'gradual' } });
    const out = applyInitialPolicy(makeRecord({ rotation: null }), parsed.rotation, T0);
    expect(readPolicy(out)).toMatchObject({ every: 30 * DAY, overlap: 7_200_000, strategy: 'gradual' });
    const bad = view.safeParse({ name: 'k', rotation: { every: 'often' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['rotation', 'every']);
  });

  it('applyInitialPolicy validates with the rotation.* field and sets dueAt', () => {
    const record = makeRecord({ rotation: null, dueAt: null, expiresAt: null });
    expect(fieldOf(() => applyInitialPolicy(record, { every: 'soon' }, T0))).toBe('rotation.every');
    expect(applyInitialPolicy(record, undefined, T0)).toBe(record);
    const out = applyInitialPolicy(record, { every: '1d' }, T0);
    expect(readPolicy(out)?.nextRotationAt).toBe(T0 + DAY);
    expect(out.dueAt).toBe(T0 + DAY);
  });
});

describe('schedules', () => {
  it('every 30d from day 0 gives days 30, 60, …, 360: 12 in 365 days, keeping cadence when late', () => {
    const spec = { every: 30 * DAY, schedule: null, cron: null, anchorAt: 0 };
    const times: number[] = [];
    let t = 0;
    for (;;) {
      const next = nextOccurrence(spec, t) as number;
      if (next > 365 * DAY) break;
      times.push(next / DAY);
      t = next;
    }
    expect(times).toEqual([30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 360]);
    expect(nextOccurrence(spec, 31 * DAY)).toBe(60 * DAY); // a late run does not drift
  });

  it('monthly is the same UTC day next month, clamped, without drifting', () => {
    expect(addMonthsUtc(T0, 1)).toBe(Date.UTC(2030, 1, 28, 12));
    expect(addMonthsUtc(Date.UTC(2032, 0, 31), 1)).toBe(Date.UTC(2032, 1, 29));
    const spec = { every: null, schedule: 'monthly' as const, cron: null, anchorAt: T0 };
    const seq: string[] = [];
    let t = T0;
    for (let i = 0; i < 4; i++) {
      t = nextOccurrence(spec, t) as number;
      seq.push(new Date(t).toISOString().slice(0, 10));
    }
    expect(seq).toEqual(['2030-02-28', '2030-03-31', '2030-04-30', '2030-05-31']);
  });

  it('quarterly, yearly, daily and weekly', () => {
    const at = (schedule: 'quarterly' | 'yearly' | 'daily' | 'weekly') =>
      new Date(
        nextOccurrence({ every: null, schedule, cron: null, anchorAt: T0 }, T0) as number,
      ).toISOString();
    expect(at('quarterly')).toBe('2030-04-30T12:00:00.000Z');
    expect(at('yearly')).toBe('2031-01-31T12:00:00.000Z');
    expect(at('daily')).toBe('2030-02-01T12:00:00.000Z');
    expect(at('weekly')).toBe('2030-02-07T12:00:00.000Z');
  });

  it('cron runs in UTC', () => {
    const spec = { every: null, schedule: null, cron: '0 3 * * 1', anchorAt: T0 };
    // 2030-01-31 is a Thursday: next Monday 03:00 UTC is Feb 4
    expect(new Date(nextOccurrence(spec, T0) as number).toISOString()).toBe('2030-02-04T03:00:00.000Z');
    expect(nextOccurrence({ ...spec, cron: 'garbage' }, T0)).toBeNull();
  });

  it('a manual-only policy has no next rotation', () => {
    expect(
      normalizePolicy(parsePolicyInput({ strategy: 'immediate' }, 'p'), T0, null).nextRotationAt,
    ).toBeNull();
  });
});
