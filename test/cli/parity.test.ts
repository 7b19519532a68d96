/**
 * CLI parity with the library: signing keys, rotation policies, rate limits and credits, secret
 * expiry, JSON errors naming the flag typed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InitializedStore, initializedStore, oneLineError, type RunResult } from './harness.js';

const T = 180_000;
let store: InitializedStore;
const run = (args: string[], input?: string): Promise<RunResult> => store.run(args, input);
const json = <T>(r: RunResult): T => JSON.parse(r.stdout) as T;
type JsonError = { error: { code: string; message: string; field: string | null } };

beforeAll(async () => {
  store = await initializedStore(); // keywarden init, checked
}, T);
afterAll(() => store.cleanup());

describe('signing-keys', () => {
  it('create, list, show, sign, verify, rotate and jwks', { timeout: T }, async () => {
    const created = await run(['--json', 'signing-keys', 'create', 'hooks', '--type', 'hmac']);
    expect(created.code).toBe(0);
    expect(json<{ name: string; type: string; algorithm: string }>(created)).toMatchObject({
      name: 'hooks',
      type: 'hmac',
      algorithm: 'HS256',
    });
    expect(created.stdout).not.toMatch(/"k"|"d"/); // no key material

    const ed = await run(['signing-keys', 'create', 'session', '--type', 'ed25519']);
    expect(ed.code).toBe(0);
    expect(ed.stdout).toMatch(/^created ed25519 key session \(EdDSA\) kid \S+\n$/);

    const list = await run(['--json', 'signing-keys', 'list']);
    expect(
      json<{ name: string }[]>(list)
        .map((k) => k.name)
        .sort(),
    ).toEqual(['hooks', 'session']);

    const sig = await run(['signing-keys', 'sign', 'hooks'], 'payload');
    expect(sig.code).toBe(0);
    const signature = sig.stdout.trim();
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ok = await run(['signing-keys', 'verify', 'hooks', '--signature', signature], 'payload');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('valid\n');
    const tampered = await run([
      '--json',
      'signing-keys',
      'verify',
      'hooks',
      '--signature',
      signature,
      '--data',
      'payloaD',
    ]);
    expect(tampered.code).toBe(1);
    expect(json<{ valid: boolean }>(tampered).valid).toBe(false);

    const rotated = await run([
      '--json',
      'signing-keys',
      'rotate',
      'session',
      '--strategy',
      'overlap',
      '--overlap',
      '1d',
    ]);
    expect(rotated.code).toBe(0);
    expect(json<{ version: number }>(rotated).version).toBe(2);
    const jwks = await run(['signing-keys', 'jwks', 'session']);
    const keys = json<{ keys: Record<string, unknown>[] }>(jwks).keys;
    expect(keys).toHaveLength(2); // current and previous (overlap)
    for (const k of keys) expect(k).not.toHaveProperty('d');
    // the old signature still verifies during the overlap; a new one is made with version 2
    const show = await run(['signing-keys', 'show', 'session']);
    expect(show.stdout).toMatch(/^ {2}2 +current /m);
    expect(show.stdout).toMatch(/^ {2}1 +previous /m);
  });

  it('bad input is a JSON error naming the flag', { timeout: T }, async () => {
    const type = await run(['--json', 'signing-keys', 'create', 'x', '--type', 'dsa']);
    expect(type.code).toBe(2);
    expect(json<JsonError>(type).error).toMatchObject({ code: 'ERR_VALIDATION', field: '--type' });
    const sig = await run([
      '--json',
      'signing-keys',
      'verify',
      'hooks',
      '--signature',
      'not base64!',
      '--data',
      'x',
    ]);
    expect(json<JsonError>(sig).error.field).toBe('--signature');
    const missing = await run(['--json', 'signing-keys', 'show', 'nope']);
    expect(missing.code).toBe(3);
    expect(json<JsonError>(missing).error.code).toBe('ERR_NOT_FOUND');
    expect(missing.stderr).toBe('');
    const usage = await run(['--json', 'signing-keys', 'create', 'x']);
    expect(usage.code).toBe(2);
    expect(json<JsonError>(usage).error).toMatchObject({ code: 'ERR_USAGE', field: '--type' });
  });
});

describe('rotation policies', () => {
  it('set, show and clear on a secret by name; rotate report lists it', { timeout: T }, async () => {
    expect((await run(['secrets', 'set', 'OPENAI_API_KEY'], 'sk-one')).code).toBe(0);
    const set = await run([
      '--json',
      'rotate',
      'policy',
      'set',
      '--secret',
      'OPENAI_API_KEY',
      '--every',
      '30d',
      '--notify-before',
      '7d',
    ]);
    expect(set.code).toBe(0);
    const info = json<{ every: number; notifyBefore: number; nextRotationAt: number }>(set);
    expect(info.every).toBe(30 * 86_400_000);
    expect(info.notifyBefore).toBe(7 * 86_400_000);
    expect(info.nextRotationAt).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const show = await run(['rotate', 'policy', 'show', '--secret', 'OPENAI_API_KEY']);
    expect(show.stdout).toMatch(/^strategy +overlap$/m); // the default
    const report = await run(['--json', 'rotate', 'report', '--within', '31d']);
    expect(report.stdout).toContain('OPENAI_API_KEY');
    const clear = await run(['rotate', 'policy', 'clear', '--secret', 'OPENAI_API_KEY']);
    expect(clear.code).toBe(0);
    const after = await run(['--json', 'rotate', 'policy', 'show', '--secret', 'OPENAI_API_KEY']);
    expect(json<unknown>(after)).toBeNull();
  });

  it('refuses a policy without a schedule, two targets, or a bad strategy, naming the flag', {
    timeout: T,
  }, async () => {
    const none = await run(['--json', 'rotate', 'policy', 'set', '--secret', 'OPENAI_API_KEY']);
    expect(none.code).toBe(2);
    expect(json<JsonError>(none).error.field).toBe('--every');
    const two = await run(['--json', 'rotate', 'policy', 'set', 'abc', '--secret', 'X', '--every', '1d']);
    expect(json<JsonError>(two).error.code).toBe('ERR_USAGE');
    const strategy = await run([
      '--json',
      'rotate',
      'policy',
      'set',
      '--secret',
      'OPENAI_API_KEY',
      '--every',
      '1d',
      '--strategy',
      'slow',
    ]);
    expect(json<JsonError>(strategy).error.field).toBe('--strategy');
    const every = await run([
      '--json',
      'rotate',
      'policy',
      'set',
      '--secret',
      'OPENAI_API_KEY',
      '--every',
      'soon',
    ]);
    expect(every.code).toBe(2);
    const e = json<JsonError>(every).error;
    expect(e.field).toBe('--every');
    expect(e.message).toContain('--every');
    expect(e.message).not.toMatch(/\bevery:/);
  });

  it('signing-keys create --rotate-every sets the policy at create time', { timeout: T }, async () => {
    const r = await run(['signing-keys', 'create', 'jwt', '--type', 'ecdsa', '--rotate-every', 'monthly']);
    expect(r.code).toBe(0);
    const show = await run(['--json', 'rotate', 'policy', 'show', '--signing-key', 'jwt']);
    expect(json<{ schedule: string }>(show).schedule).toBe('monthly');
  });
});

describe('api-keys limits and credits', () => {
  it('--rate-limit refuses the call over the limit', { timeout: T }, async () => {
    const c = await run(['--json', 'api-keys', 'create', '--name', 'rl', '--rate-limit', '2/1h']);
    const { token, key } = json<{ token: string; key: { id: string; rateLimit: unknown } }>(c);
    expect(key.rateLimit).toEqual({ limit: 2, window: 3_600_000 });
    expect((await run(['api-keys', 'verify', token])).code).toBe(0);
    expect((await run(['api-keys', 'verify', token])).code).toBe(0);
    const third = await run(['api-keys', 'verify', token]);
    expect(third.code).toBe(1);
    expect(third.stdout).toMatch(/^invalid RATE_LIMITED/);
    const lifted = await run(['--json', 'api-keys', 'update', key.id, '--no-rate-limit']);
    expect(json<{ rateLimit: unknown }>(lifted).rateLimit).toBeNull();
    expect((await run(['api-keys', 'verify', token])).code).toBe(0);
  });

  it('--remaining with --refill: credits run out, and are shown with their refill', {
    timeout: T,
  }, async () => {
    const c = await run([
      '--json',
      'api-keys',
      'create',
      '--name',
      'cr',
      '--remaining',
      '1',
      '--refill',
      '1/1d',
    ]);
    const { token, key } = json<{
      token: string;
      key: { id: string; refill: { amount: number; every: number } };
    }>(c);
    expect(key.refill).toMatchObject({ amount: 1, every: 86_400_000 });
    expect((await run(['api-keys', 'verify', token])).code).toBe(0);
    const out = await run(['api-keys', 'verify', token]);
    expect(out.stdout).toMatch(/^invalid USAGE_EXCEEDED/);
    const topped = await run(['--json', 'api-keys', 'update', key.id, '--remaining', '5']);
    expect(json<{ remaining: number }>(topped).remaining).toBe(5);
    const show = await run(['api-keys', 'show', key.id]);
    expect(show.stdout).toMatch(/^refill +1 every 86400000 ms$/m);
    const unlimited = await run(['--json', 'api-keys', 'update', key.id, '--unlimited']);
    expect(json<{ remaining: unknown; refill: unknown }>(unlimited)).toMatchObject({
      remaining: null,
      refill: null,
    });
  });

  it('bad limits name the flag, in text and JSON', { timeout: T }, async () => {
    const text = await run(['api-keys', 'create', '--name', 'x', '--rate-limit', '100']);
    expect(text.code).toBe(2);
    expect(oneLineError(text.stderr)).toMatch(/^keywarden: --rate-limit must be AMOUNT\/DURATION/);
    const j = await run(['--json', 'api-keys', 'create', '--name', 'x', '--refill', '5/forever']);
    expect(json<JsonError>(j).error).toMatchObject({ code: 'ERR_VALIDATION', field: '--refill' });
    const lib = await run(['--json', 'api-keys', 'create', '--name', 'x', '--expires-in', 'soon']);
    expect(lib.code).toBe(2);
    const e = json<JsonError>(lib).error;
    expect(e.field).toBe('--expires-in');
    expect(e.message).toContain('--expires-in');
    expect(e.message).not.toContain('expiresIn');
  });
});

describe('secret expiry', () => {
  it('secrets set --expires-in is reported by check-expiry; --no-expiry removes it', {
    timeout: T,
  }, async () => {
    const set = await run(
      ['--json', 'secrets', 'set', 'STRIPE_SECRET_KEY', '--expires-in', '1d'],
      'sk_test_x',
    );
    expect(set.code).toBe(0);
    const at = json<{ expiresAt: number }>(set).expiresAt;
    expect(at).toBeGreaterThan(Date.now());
    expect(at).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const check = await run(['check-expiry', '--within', '2d']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('STRIPE_SECRET_KEY');
    const both = await run(['secrets', 'set', 'STRIPE_SECRET_KEY', '--expires-in', '1d', '--no-expiry'], 'v');
    expect(both.code).toBe(2);
    const cleared = await run(['--json', 'secrets', 'set', 'STRIPE_SECRET_KEY', '--no-expiry'], 'sk_test_y');
    expect(json<{ expiresAt: unknown }>(cleared).expiresAt).toBeNull();
    const date = await run(['--json', 'secrets', 'set', 'OTHER', '--expires-at', '2099-01-31'], 'v');
    expect(json<{ expiresAt: number }>(date).expiresAt).toBe(Date.parse('2099-01-31'));
  });
});

describe('api-keys verify --env', () => {
  it('enforces the key environment when --env is given', { timeout: T }, async () => {
    const c = await run(['--json', '--env', 'staging', 'api-keys', 'create', '--name', 'stg']);
    const { token } = json<{ token: string }>(c);
    const prod = await run(['--env', 'production', 'api-keys', 'verify'], token);
    expect(prod.code).toBe(1);
    expect(prod.stdout).toMatch(/^invalid WRONG_ENVIRONMENT /);
    expect((await run(['--env', 'staging', 'api-keys', 'verify'], token)).code).toBe(0);
    expect((await run(['api-keys', 'verify'], token)).code).toBe(0);
  });
});
