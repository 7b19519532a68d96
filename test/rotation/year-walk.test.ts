/**
 * Fake-clock year walks: for each strategy and each kind, `every: '30d'` and a daily `runDue` for
 * 365 days, asserting after every run exactly which versions are accepted, against an independent
 * timeline model of the strategy.
 */
import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import type { RotationStrategy } from '../../src/records/rotation-types.js';
import { type Harness, harness } from './harness.js';

const OVERLAP_DAYS = 2;
const PROMOTE_DAYS = 3;

/** The independent model: versions accepted, and the one in use (current), on day `d` after its run. */
function model(strategy: RotationStrategy, d: number): { accepted: Set<number>; current: number } {
  const k = Math.floor(d / 30); // rotations done (at days 30, 60, ...)
  const since = d - 30 * k; // days since the last rotation
  const newest = k + 1;
  if (k === 0) return { accepted: new Set([1]), current: 1 };
  switch (strategy) {
    case 'immediate':
      return { accepted: new Set([newest]), current: newest };
    case 'overlap':
      return { accepted: new Set(since < OVERLAP_DAYS ? [newest - 1, newest] : [newest]), current: newest };
    case 'gradual': {
      const promoted = since >= PROMOTE_DAYS;
      const live = since < PROMOTE_DAYS + OVERLAP_DAYS;
      return {
        accepted: new Set(live ? [newest - 1, newest] : [newest]),
        current: promoted ? newest : newest - 1,
      };
    }
    case 'blue-green':
      return { accepted: new Set([newest - 1, newest]), current: newest };
  }
}

const STRATEGIES: RotationStrategy[] = ['immediate', 'overlap', 'gradual', 'blue-green'];
const policy = (strategy: RotationStrategy) => ({
  every: '30d',
  strategy,
  overlap: `${OVERLAP_DAYS}d`,
  promoteAfter: `${PROMOTE_DAYS}d`,
  notifyBefore: '7d',
});

/** Runs 365 daily runDue calls; `check(day)` asserts after each; returns the versions created per day. */
async function walk(
  h: Harness,
  onRotated: (day: number, version: number, token?: string) => Promise<void>,
  check: (day: number) => Promise<void>,
) {
  let rotations = 0;
  for (let day = 1; day <= 365; day++) {
    h.clock.advance('1d');
    const report = await h.rotator.runDue();
    expect(report.failed).toEqual([]);
    for (const r of report.rotated) {
      rotations++;
      await onRotated(day, r.version, r.token);
    }
    await check(day);
  }
  return rotations;
}

function assertNotices(h: Harness, versions: number) {
  const notices = h.ofType('key.expiring');
  const perVersion = new Map<number, number>();
  for (const n of notices) perVersion.set(n.version ?? -1, (perVersion.get(n.version ?? -1) ?? 0) + 1);
  // versions 1..12 each reach their notice (7 days before their rotation); version 13's is after day 365
  expect([...perVersion.keys()].sort((a, b) => a - b)).toEqual(
    Array.from({ length: versions - 1 }, (_, i) => i + 1),
  );
  for (const count of perVersion.values()) expect(count).toBe(1);
  for (const n of notices) expect(n.reason).toBe('rotation');
}

describe.each(STRATEGIES)('year walk, strategy %s', (strategy) => {
  it('API keys: exactly the model tokens verify every day; 12 rotations; one notice per version', async () => {
    const h = harness();
    const { token, key } = await h.apiKeys.create({ name: 'walk', expiresIn: null });
    await h.rotator.setPolicy(key.id, policy(strategy));
    const tokens = new Map<number, string>([[1, token]]);
    const rotations = await walk(
      h,
      async (_day, version, t) => {
        expect(typeof t).toBe('string');
        tokens.set(version, t as string);
      },
      async (day) => {
        const { accepted } = model(strategy, day);
        for (const [version, t] of tokens) {
          const r = await h.apiKeys.verify(t);
          expect({ day, version, valid: r.valid }).toEqual({ day, version, valid: accepted.has(version) });
          if (r.valid) expect(r.version).toBe(version);
        }
      },
    );
    expect(rotations).toBe(12);
    expect(h.ofType('key.rotated')).toHaveLength(12);
    expect((await h.storage.get(key.id))?.versions).toHaveLength(13);
    assertNotices(h, 13);
  });

  it('secrets: get({ version }) returns exactly the model versions; get() the current one', async () => {
    const h = harness();
    const info = await h.secrets.set('WALK', 'value-1');
    await h.rotator.setPolicy(info.id, policy(strategy));
    const values = new Map<number, string>([[1, 'value-1']]);
    const rotations = await walk(
      h,
      async (_day, version) => {
        const value = await h.secrets.get('WALK', { version });
        expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect([...values.values()]).not.toContain(value);
        values.set(version, value);
      },
      async (day) => {
        const { accepted, current } = model(strategy, day);
        expect(await h.secrets.get('WALK')).toBe(values.get(current));
        for (const [version, value] of values) {
          if (accepted.has(version)) {
            expect(await h.secrets.get('WALK', { version })).toBe(value);
          } else {
            const error = await h.secrets.get('WALK', { version }).catch((e: unknown) => e);
            expect(isKeywardenError(error, 'ERR_INVALID_STATE'), `day ${day} v${version}`).toBe(true);
          }
        }
      },
    );
    expect(rotations).toBe(12);
    assertNotices(h, 13);
  });

  it('signing keys: JWKS publishes exactly the model kids; verify accepts exactly their signatures', async () => {
    const h = harness();
    const created = await h.keys.create({ name: 'walk-jwt', type: 'ed25519' });
    await h.rotator.setPolicy(created.id, policy(strategy));
    const data = 'payload';
    const sigs = new Map<number, Uint8Array>([[1, await h.keys.sign('walk-jwt', data)]]);
    const kidOf = async () =>
      new Map((await h.keys.info('walk-jwt')).versions.map((v) => [v.version, v.kid]));
    const rotations = await walk(
      h,
      async () => undefined,
      async (day) => {
        const { accepted, current } = model(strategy, day);
        const info = await h.keys.info('walk-jwt');
        expect(info.version).toBe(current);
        if (!sigs.has(current)) sigs.set(current, await h.keys.sign('walk-jwt', data));
        const kids = await kidOf();
        const jwks = await h.keys.jwks('walk-jwt');
        expect(new Set(jwks.keys.map((k) => k.kid))).toEqual(new Set([...accepted].map((v) => kids.get(v))));
        for (const [version, sig] of sigs) {
          expect({ day, version, ok: await h.keys.verify('walk-jwt', data, sig) }).toEqual({
            day,
            version,
            ok: accepted.has(version),
          });
        }
      },
    );
    expect(rotations).toBe(12);
    assertNotices(h, 13);
  });
});
