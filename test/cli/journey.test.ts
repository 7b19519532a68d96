/**
 * The user journey, as a new user would run it in an empty folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kw, type RunResult, tempDir } from './harness.js';

const T = 180_000;
let dir: string;
let cleanup: () => Promise<void>;
const run = (args: string[], input?: string, env?: Record<string, string>): Promise<RunResult> =>
  kw(args, { cwd: dir, ...(input === undefined ? {} : { input }), ...(env === undefined ? {} : { env }) });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await mkdir(join(dir, '.git')); // a git work tree
});
afterAll(() => cleanup());

describe('keywarden journey', () => {
  let token = '';
  let keyId = '';
  let masterKey = '';

  it('init creates a private store, writes the master key to .env (0600) and ignores both in git', {
    timeout: T,
  }, async () => {
    const r = await run(['init', '--write-env']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Created a keywarden store');
    expect(r.stdout).not.toMatch(/KEYWARDEN_MASTER_KEY='/); // written, not printed
    const env = await readFile(join(dir, '.env'), 'utf8');
    masterKey = /^KEYWARDEN_MASTER_KEY=(\S+)$/m.exec(env)?.[1] ?? '';
    expect(masterKey).toHaveLength(43);
    expect((await stat(join(dir, '.env'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.keywarden'))).mode & 0o777).toBe(0o700);
    const ignore = await readFile(join(dir, '.gitignore'), 'utf8');
    expect(ignore.split('\n')).toEqual(expect.arrayContaining(['/.keywarden/', '/.env']));
    const again = await run(['init']);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/^keywarden: a store already exists at .* \(ERR_ALREADY_EXISTS\)\n$/);
  });

  it('creates an API key, verifies it, revokes it, and verify then fails', { timeout: T }, async () => {
    const created = await run(['--json', 'keys', 'create', '--name', 'ci', '--scopes', 'deploy:*']);
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { token: string; key: { id: string; scopes: string[] } };
    token = body.token;
    keyId = body.key.id;
    expect(token).toMatch(/^kw_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    expect(body.key.scopes).toEqual(['deploy:*']);

    const ok = await run(['keys', 'verify', token]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`valid ${keyId} (ci)`);
    const fromStdin = await run(['keys', 'verify', '--scopes', 'deploy:prod'], `${token}\n`);
    expect(fromStdin.code).toBe(0);

    const listed = await run(['keys', 'list']);
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).not.toContain(token);

    const revoked = await run(['keys', 'revoke', keyId, '--reason', 'rotated out']);
    expect(revoked.code).toBe(0);
    const bad = await run(['keys', 'verify', token]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('invalid REVOKED');
    const typo = await run([
      '--json',
      'keys',
      'verify',
      `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`,
    ]);
    expect(typo.code).toBe(1);
    expect(JSON.parse(typo.stdout)).toMatchObject({ valid: false, code: 'MALFORMED' });
  });

  it('stores a secret from stdin; run sees it and passes exit codes and signals through', {
    timeout: T,
  }, async () => {
    const set = await run(['secrets', 'set', 'X'], 'v\n');
    expect(set.code).toBe(0);
    expect(set.stderr).toBe('');
    const seen = await run(['run', '--', 'node', '-e', "process.exit(process.env.X==='v'?0:7)"]);
    expect(seen.code).toBe(0);
    const seven = await run(['run', '--', 'node', '-e', 'process.exit(7)']);
    expect(seven.code).toBe(7);
    const killed = await run(['run', '--', 'node', '-e', "process.kill(process.pid,'SIGTERM')"]);
    expect(killed.signal).toBe('SIGTERM');
    const missing = await run(['run', '--', 'definitely-not-a-command-kw']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(
      /^keywarden: cannot run definitely-not-a-command-kw: ENOENT \(ERR_COMMAND\)\n$/,
    );

    const get = await run(['secrets', 'get', 'X']);
    expect(get.stdout).toBe('v\n');
    const list = await run(['secrets', 'list']);
    expect(list.stdout).toContain('X');
    expect(list.stdout).not.toMatch(/\bv\b/);
  });

  it('a secret given with --value works but warns about shell history', { timeout: T }, async () => {
    const r = await run(['secrets', 'set', 'Y', '--value', `it's a "test" $HOME`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: --value puts the secret in your shell history/);
    expect(r.stderr).not.toContain('test');
    const versions = await run(['secrets', 'set', 'Y', '--value', `it's a "test" $HOME`]);
    expect(versions.code).toBe(0);
    const v = await run(['--json', 'secrets', 'versions', 'Y']);
    expect((JSON.parse(v.stdout) as unknown[]).length).toBe(2);
  });

  it('env prints dotenv, shell (safe for eval) and json', { timeout: T }, async () => {
    const shell = await run(['env', '--format', 'shell']);
    expect(shell.code).toBe(0);
    const evaluated = spawnSync('sh', ['-c', `${shell.stdout}\nprintf '%s|%s' "$X" "$Y"`], {
      encoding: 'utf8',
    });
    expect(evaluated.stdout).toBe(`v|it's a "test" $HOME`);
    const json = await run(['env', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({ X: 'v', Y: `it's a "test" $HOME` });
    const dotenv = await run(['env']);
    expect(dotenv.stdout).toContain('X=v\n');
  });

  it('dotenv write updates named keys in place and keeps comments, atomically with mode 0600', {
    timeout: T,
  }, async () => {
    const file = join(dir, '.env.local');
    await writeFile(file, '# app settings\nPORT=3000\n\n# the secret\nX=old # inline\nOTHER="keep me"\n', {
      mode: 0o644,
    });
    const r = await run(['dotenv', 'write', '.env.local', 'X']);
    expect(r.code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(
      '# app settings\nPORT=3000\n\n# the secret\nX=v\nOTHER="keep me"\n',
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const unknown = await run(['dotenv', 'write', '.env.local', 'NOPE']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe('keywarden: no secret provides NOPE in this environment (ERR_NOT_FOUND)\n');
  });

  it('exports, then imports into a fresh store: everything round-trips', { timeout: T }, async () => {
    const live = await run(['keys', 'create', '--name', 'live', '-q']);
    const liveToken = live.stdout.trim();
    const exported = await run(['export', 'backup.yaml']);
    expect(exported.code).toBe(0);
    expect((await stat(join(dir, 'backup.yaml'))).mode & 0o777).toBe(0o600);
    const text = await readFile(join(dir, 'backup.yaml'), 'utf8');
    expect(text).toContain('format: keywarden-backup');
    expect(text).not.toContain(liveToken);

    const other = await tempDir();
    try {
      const env = { KEYWARDEN_MASTER_KEY: masterKey };
      const at = (args: string[]) => kw(args, { cwd: other.dir, env });
      expect((await at(['init'])).code).toBe(0);
      const imported = await at(['--json', 'import', join(dir, 'backup.yaml')]);
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ created: 4, adoptedIdentity: true });
      expect((await at(['secrets', 'get', 'X'])).stdout).toBe('v\n');
      expect((await at(['keys', 'verify', liveToken])).code).toBe(0);
      const revoked = await at(['keys', 'verify', token]);
      expect(revoked.code).toBe(1);
      expect(revoked.stdout).toContain('REVOKED');
      const again = await at(['import', join(dir, 'backup.yaml')]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already exist in this store .*\(ERR_BACKUP\)\n$/);
      const skip = await at(['--json', 'import', join(dir, 'backup.yaml'), '--on-conflict', 'skip']);
      expect(JSON.parse(skip.stdout)).toMatchObject({ created: 0, skipped: 4 });
      const json = await kw(['export', '-'], { cwd: dir });
      const bundle = JSON.parse(json.stdout) as { records: unknown[] };
      expect(bundle.records).toHaveLength(4);
    } finally {
      await other.cleanup();
    }
  });

  it('audit verify, doctor and sql report on the store', { timeout: T }, async () => {
    const audit = await run(['audit', 'verify']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^ok: \d+ events/);
    const list = await run(['--json', 'audit', 'list', '--type', 'key.revoked']);
    const events = JSON.parse(list.stdout) as { keyId: string; data: { reason?: string } }[];
    expect(events.map((e) => e.keyId)).toEqual([keyId]);
    const doctor = await run(['doctor']);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/ok {3}store integrity: \d+ records pass their MAC, 3 sealed values open/);
    expect(doctor.stdout).toContain('audit chain');
    const sql = await run(['sql']);
    expect(sql.code).toBe(0);
    expect(sql.stdout.toLowerCase()).toContain('create');
  });
});
