/**
 * `--if-revision N` (issue 10): `secrets set|rollback|rm` and `api-keys update|revoke|delete|rotate|rollback`
 * change only the record at that revision; a stale one exits 6 (ERR_CONFLICT) and writes nothing;
 * a bad one exits 2 before anything is read or written.
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

const revisionOf = async (name: string): Promise<number> => {
  const listed = await run(['--json', 'secrets', 'list']);
  const item = (JSON.parse(listed.stdout) as { name: string; revision: number }[]).find(
    (s) => s.name === name,
  );
  if (item === undefined) throw new Error(`${name} not listed`);
  return item.revision;
};

describe('--if-revision', () => {
  it('secrets set, rollback and rm', { timeout: T }, async () => {
    const first = await run(['--json', 'secrets', 'set', 'DB_URL'], 'one');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ revision: 1 });
    expect((await run(['secrets', 'set', 'DB_URL', '--if-revision', '1'], 'two')).code).toBe(0);
    const stale = await run(['secrets', 'set', 'DB_URL', '--if-revision', '1'], 'three');
    expect(stale.code).toBe(EXIT.CONFLICT);
    expect(stale.stderr).toContain('ERR_CONFLICT');
    expect(stale.stderr).not.toContain('three');
    expect((await run(['secrets', 'get', 'DB_URL'])).stdout.trim()).toBe('two');

    const rev = await revisionOf('DB_URL');
    expect(rev).toBe(2);
    expect((await run(['secrets', 'rollback', 'DB_URL', '--if-revision', '1'])).code).toBe(EXIT.CONFLICT);
    expect((await run(['secrets', 'rollback', 'DB_URL', '--if-revision', String(rev)])).code).toBe(0);
    expect((await run(['secrets', 'get', 'DB_URL'])).stdout.trim()).toBe('one');

    expect((await run(['secrets', 'rm', 'DB_URL', '--if-revision', String(rev)])).code).toBe(EXIT.CONFLICT);
    expect((await run(['secrets', 'get', 'DB_URL'])).code).toBe(0);
    expect((await run(['secrets', 'rm', 'DB_URL', '--if-revision', String(rev + 1)])).code).toBe(0);
    expect((await run(['secrets', 'get', 'DB_URL'])).code).toBe(EXIT.NOT_FOUND);

    for (const bad of ['0', '-1', 'x', '1.5']) {
      const r = await run(['secrets', 'set', 'OTHER', '--if-revision', bad], 'v');
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.stderr).toContain('--if-revision');
    }
    expect((await run(['secrets', 'get', 'OTHER'])).code).toBe(EXIT.NOT_FOUND);
  });

  it('api-keys update, rotate and rollback', { timeout: T }, async () => {
    const created = await run(['--json', 'keys', 'create', '--name', 'svc']);
    const { key } = JSON.parse(created.stdout) as { key: { id: string; revision: number } };
    expect(key.revision).toBe(1);
    const shown = await run(['keys', 'show', key.id]);
    expect(shown.stdout).toMatch(/revision\s+1/);
    expect((await run(['keys', 'update', key.id, '--name', 'a', '--if-revision', '1'])).code).toBe(0);
    const stale = await run(['keys', 'update', key.id, '--name', 'b', '--if-revision', '1']);
    expect(stale.code).toBe(EXIT.CONFLICT);
    expect(JSON.parse((await run(['--json', 'keys', 'show', key.id])).stdout)).toMatchObject({
      name: 'a',
      revision: 2,
    });
    expect((await run(['keys', 'rotate', key.id, '--if-revision', '1'])).code).toBe(EXIT.CONFLICT);
    const rotated = await run(['--json', 'keys', 'rotate', key.id, '--if-revision', '2']);
    expect(rotated.code).toBe(0);
    const now = JSON.parse((await run(['--json', 'keys', 'show', key.id])).stdout) as { revision: number };
    expect((await run(['keys', 'rollback', key.id, '--if-revision', '2'])).code).toBe(EXIT.CONFLICT);
    expect((await run(['keys', 'rollback', key.id, '--if-revision', String(now.revision)])).code).toBe(0);
    const cur = JSON.parse((await run(['--json', 'keys', 'show', key.id])).stdout) as { revision: number };
    expect((await run(['keys', 'revoke', key.id, '--if-revision', String(cur.revision - 1)])).code).toBe(
      EXIT.CONFLICT,
    );
    expect((await run(['keys', 'revoke', key.id, '--if-revision', String(cur.revision)])).code).toBe(0);
    expect((await run(['keys', 'delete', key.id, '--if-revision', String(cur.revision)])).code).toBe(
      EXIT.CONFLICT,
    );
    expect((await run(['keys', 'delete', key.id, '--if-revision', String(cur.revision + 1)])).code).toBe(0);
    expect((await run(['keys', 'show', key.id])).code).toBe(EXIT.NOT_FOUND);
  });
});
