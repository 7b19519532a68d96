/**
 * Environments as profiles: env list (counts), env copy FROM TO [--names], env diff A B (names and
 * versions, never values).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InitializedStore, initializedStore, oneLineError, type RunResult } from './harness.js';

const T = 180_000;
let store: InitializedStore;
const run = (args: string[], input?: string): Promise<RunResult> => store.run(args, input);

beforeAll(async () => {
  store = await initializedStore(); // keywarden init, checked
  for (const [e, name, value] of [
    ['staging', 'OPENAI_API_KEY', 'sk-staging-openai'],
    ['staging', 'STRIPE_SECRET_KEY', 'sk_test_staging'],
    ['staging', 'ONLY_STAGING', 'v-stg'],
    ['production', 'OPENAI_API_KEY', 'sk-prod-openai'],
  ] as const) {
    expect((await run(['--env', e, 'secrets', 'set', name], value)).code).toBe(0);
  }
  expect((await run(['--env', 'staging', 'api-keys', 'create', '--name', 'ci'])).code).toBe(0);
}, T);
afterAll(() => store.cleanup());

describe('env list / copy / diff', () => {
  it('env list counts what each environment holds', { timeout: T }, async () => {
    const r = await run(['--json', 'env', 'list']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual([
      { environment: 'production', secrets: 1, apiKeys: 0, signingKeys: 0 },
      { environment: 'staging', secrets: 3, apiKeys: 1, signingKeys: 0 },
    ]);
    const text = await run(['env', 'list']);
    expect(text.stdout).toMatch(/^staging +3 +1 +0$/m);
  });

  it('env diff shows names and versions, never values; exit 1 when the names differ', {
    timeout: T,
  }, async () => {
    const r = await run(['env', 'diff', 'staging', 'production']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^OPENAI_API_KEY +v1 +v1$/m);
    expect(r.stdout).toMatch(/^ONLY_STAGING +v1 +-$/m);
    expect(r.stdout).not.toMatch(/sk-|sk_test|v-stg/);
    const j = await run(['--json', 'env', 'diff', 'staging', 'production']);
    expect(j.stdout).not.toMatch(/sk-|sk_test|v-stg/);
    expect(JSON.parse(j.stdout)).toMatchObject({
      same: false,
      secrets: expect.arrayContaining([{ name: 'ONLY_STAGING', a: 1, b: null, status: 'only-a' }]),
    });
  });

  it('env copy --names copies values into the other environment; refuses clashes unless --overwrite', {
    timeout: T,
  }, async () => {
    const missing = await run(['env', 'copy', 'staging', 'production', '--names', 'NOPE']);
    expect(missing.code).toBe(3);
    const clash = await run(['env', 'copy', 'staging', 'production']);
    expect(clash.code).toBe(6);
    expect(oneLineError(clash.stderr)).toMatch(/already in environment production: OPENAI_API_KEY/);
    expect((await run(['--env', 'production', 'secrets', 'get', 'STRIPE_SECRET_KEY'])).code).toBe(3); // nothing half-copied

    const some = await run([
      '--json',
      'env',
      'copy',
      'staging',
      'production',
      '--names',
      'STRIPE_SECRET_KEY,ONLY_STAGING',
    ]);
    expect(some.code).toBe(0);
    expect(JSON.parse(some.stdout)).toMatchObject({
      copied: [
        { name: 'STRIPE_SECRET_KEY', version: 1 },
        { name: 'ONLY_STAGING', version: 1 },
      ],
    });
    expect(some.stdout).not.toContain('sk_test_staging');
    expect((await run(['--env', 'production', 'secrets', 'get', 'STRIPE_SECRET_KEY'])).stdout).toBe(
      'sk_test_staging\n',
    );

    const all = await run(['env', 'copy', 'staging', 'production', '--overwrite']);
    expect(all.code).toBe(0);
    expect((await run(['--env', 'production', 'secrets', 'get', 'OPENAI_API_KEY'])).stdout).toBe(
      'sk-staging-openai\n',
    );
    const same = await run(['env', 'diff', 'staging', 'production']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^OPENAI_API_KEY +v1 +v2$/m);
  });
});
