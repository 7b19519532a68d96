/**
 * Managing keys and secrets from the CLI: update, disable, delete, rollback, rm, environments.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { type InitializedStore, initializedStore, type RunResult } from './harness.js';

const T = 180_000;
let store: InitializedStore;
const run = (args: string[], input?: string): Promise<RunResult> => store.run(args, input);

beforeAll(async () => {
  store = await initializedStore(); // keywarden init, checked
}, T);
afterAll(() => store.cleanup());

describe('keys management', () => {
  it('update, disable, enable and delete', { timeout: T }, async () => {
    const created = await run([
      '--json',
      'keys',
      'create',
      '--name',
      'svc',
      '--tags',
      'a',
      '--meta',
      '{"team":"x"}',
    ]);
    const { token, key } = JSON.parse(created.stdout) as { token: string; key: { id: string } };
    const updated = await run([
      '--json',
      'keys',
      'update',
      key.id,
      '--name',
      'svc2',
      '--scopes',
      'r,w',
      '--disable',
    ]);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      name: 'svc2',
      scopes: ['r', 'w'],
      status: 'disabled',
      meta: { team: 'x' },
    });
    const disabled = await run(['keys', 'verify', token]);
    expect(disabled.code).toBe(EXIT.FAILED);
    expect(disabled.stdout).toContain('invalid DISABLED');
    expect((await run(['keys', 'update', key.id, '--enable'])).code).toBe(0);
    expect((await run(['keys', 'verify', token, '--scopes', 'w'])).code).toBe(0);
    const scope = await run(['keys', 'verify', token, '--scopes', 'admin']);
    expect(scope.stdout).toContain('INSUFFICIENT_SCOPE');
    const nothing = await run(['keys', 'update', key.id]);
    expect(nothing.code).toBe(EXIT.USAGE);
    expect((await run(['keys', 'delete', key.id])).code).toBe(0);
    const gone = await run(['keys', 'show', key.id]);
    expect(gone.code).toBe(EXIT.NOT_FOUND);
    expect(gone.stderr).toBe('keywarden: API key not found (ERR_NOT_FOUND)\n');
  });
});

describe('secrets management', () => {
  it('rollback, environments and rm', { timeout: T }, async () => {
    expect((await run(['secrets', 'set', 'TOKEN'], 'one')).code).toBe(0);
    expect((await run(['secrets', 'set', 'TOKEN'], 'two')).code).toBe(0);
    const rolled = await run(['secrets', 'rollback', 'TOKEN']);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toBe('TOKEN is at version 1 (was 2)\n');
    expect((await run(['secrets', 'get', 'TOKEN'])).stdout).toBe('one\n');
    expect((await run(['secrets', 'get', 'TOKEN', '--version', '2'])).stdout).toBe('two\n');

    expect(
      (await run(['--env', 'production', 'secrets', 'set', 'DB', '--env-var', 'DATABASE_URL'], 'pg://prod'))
        .code,
    ).toBe(0);
    expect((await run(['secrets', 'get', 'DB'])).code).toBe(EXIT.NOT_FOUND);
    expect((await run(['secrets', 'get', 'DB', '--env', 'production'])).stdout).toBe('pg://prod\n');
    const prodEnv = await run(['env', '-e', 'production', '--format', 'json']);
    expect(JSON.parse(prodEnv.stdout)).toEqual({ DATABASE_URL: 'pg://prod' });

    expect((await run(['secrets', 'rm', 'TOKEN'])).code).toBe(0);
    expect((await run(['secrets', 'get', 'TOKEN'])).code).toBe(EXIT.NOT_FOUND);
    const again = await run(['secrets', 'rm', 'TOKEN']);
    expect(again.code).toBe(EXIT.NOT_FOUND);
    expect(again.stdout).toBe('TOKEN did not exist\n');

    const audit = await run(['--json', 'audit', 'list', '--type', 'secret.read', '--limit', '2']);
    const events = JSON.parse(audit.stdout) as { type: string; data: Record<string, unknown> }[];
    expect(events).toHaveLength(2);
    expect(JSON.stringify(events)).not.toContain('one');
  });
});
