/**
 * keys rotate / rollback, rotate --due, check-expiry and jwks through the real CLI. Time-dependent
 * state is made by a library script whose clock is two days behind, never by waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { kw, runNode, tempDir, writeLibraryScript } from './harness.js';

const T = 180_000;
let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const run = (args: string[]) => kw(args, { cwd: dir, env });
let dueId = '';

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const r = await run(['init']);
  if (r.code !== 0) throw new Error(r.stderr);
  const script = await writeLibraryScript(
    dir,
    'seed.mts',
    `const { key } = await km.apiKeys.create({ name: 'stale', expiresIn: null });
await km.rotator.setPolicy(key.id, { every: '1d' });
await km.keys.create({ name: 'signer', type: 'ed25519' });
await km.close();
console.log(key.id);
`,
    { prelude: 'const past = Date.now() - 2 * 86_400_000;', clock: '{ now: () => past }' },
  );
  const seeded = await runNode(script, [], { cwd: dir, env });
  if (seeded.code !== 0) throw new Error(seeded.stderr);
  dueId = seeded.stdout.trim();
}, T);
afterAll(() => cleanup());

describe('rotation from the CLI', () => {
  it('keys rotate prints a new token once; rollback restores the old one', { timeout: T }, async () => {
    const created = await run(['keys', 'create', '--name', 'svc', '--no-expiry']);
    const oldToken = created.stdout.trim();
    const id = oldToken.split('_')[1] as string;
    const rotated = await run(['--json', 'keys', 'rotate', id, '--strategy', 'immediate']);
    expect(rotated.code).toBe(0);
    const body = JSON.parse(rotated.stdout) as { version: number; token: string };
    expect(body.version).toBe(2);
    expect(body.token).toMatch(/^kw_/);
    expect(body.token).not.toBe(oldToken);
    expect((await run(['keys', 'verify', body.token])).code).toBe(0);
    expect((await run(['keys', 'verify', oldToken])).code).toBe(EXIT.FAILED);
    const shown = await run(['keys', 'show', id]);
    expect(shown.stdout).not.toContain(body.token);
    expect(shown.stdout).not.toContain(oldToken);

    const overlap = await run(['keys', 'rotate', id, '--strategy', 'overlap', '--overlap', '1h', '-q']);
    expect(overlap.code).toBe(0);
    expect(overlap.stdout.trim()).toMatch(/^kw_/);
    expect((await run(['keys', 'verify', body.token])).code).toBe(0); // still inside the overlap
    const back = await run(['keys', 'rollback', id]);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`rolled ${id} back to version 2 (from 3)`);
    expect((await run(['keys', 'verify', body.token])).code).toBe(0);
  });

  it('rotate --due --dry-run plans, rotate --due does it', { timeout: T }, async () => {
    const dry = await run(['--json', 'rotate', '--due', '--dry-run']);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { planned: { id: string; actions: { type: string }[] }[] };
    const item = plan.planned.find((p) => p.id === dueId);
    expect(item?.actions.map((a) => a.type)).toContain('rotate');
    const shown = await run(['--json', 'keys', 'show', dueId]);
    expect((JSON.parse(shown.stdout) as { version: number }).version).toBe(1);

    const done = await run(['--json', 'rotate', '--due']);
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout) as { rotated: { id: string }[] };
    expect(report.rotated.map((r) => r.id)).toContain(dueId);
    const after = await run(['--json', 'keys', 'show', dueId]);
    expect((JSON.parse(after.stdout) as { version: number }).version).toBe(2);
    const again = await run(['rotate', '--due', '--dry-run']);
    expect(again.stdout).not.toContain(dueId);
  });

  it('check-expiry exits 1 only when something expires within the window', { timeout: T }, async () => {
    const created = await run(['--json', 'keys', 'create', '--name', 'short', '--expires-in', '2d']);
    const id = (JSON.parse(created.stdout) as { key: { id: string } }).key.id;
    const none = await run(['check-expiry', '--within', '1d']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('nothing expires within 1d\n');
    const some = await run(['--json', 'check-expiry', '--within', '3d']);
    expect(some.code).toBe(EXIT.FAILED);
    expect((JSON.parse(some.stdout) as { id: string }[]).map((e) => e.id)).toEqual([id]);
  });

  it('jwks prints the public keys of a signing key, never private members', { timeout: T }, async () => {
    const r = await run(['jwks', 'signer']);
    expect(r.code).toBe(0);
    const jwks = JSON.parse(r.stdout) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const missing = await run(['jwks', 'nope']);
    expect(missing.code).toBe(EXIT.NOT_FOUND);
  });

  it('rewrap moves the store to a new master key; the old one is then not needed', {
    timeout: T,
  }, async () => {
    const other = await tempDir();
    try {
      const oldKey = generateMasterKey();
      const newKey = generateMasterKey();
      const at = (args: string[], keys: Record<string, string>, input?: string) =>
        kw(args, { cwd: other.dir, env: keys, ...(input === undefined ? {} : { input }) });
      expect((await at(['init'], { KEYWARDEN_MASTER_KEY: oldKey })).code).toBe(0);
      expect((await at(['secrets', 'set', 'S'], { KEYWARDEN_MASTER_KEY: oldKey }, 'value')).code).toBe(0);
      const both = { KEYWARDEN_MASTER_KEY: newKey, KEYWARDEN_PREVIOUS_MASTER_KEYS: oldKey };
      const r = await at(['--json', 'rewrap'], both);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ records: 1, versions: 1, pepper: true, failed: [] });
      const onlyNew = await at(['secrets', 'get', 'S'], { KEYWARDEN_MASTER_KEY: newKey });
      expect(onlyNew.stdout).toBe('value\n');
      const onlyOld = await at(['secrets', 'get', 'S'], { KEYWARDEN_MASTER_KEY: oldKey });
      expect(onlyOld.code).toBe(EXIT.MASTER_KEY);
    } finally {
      await other.cleanup();
    }
  });
});
