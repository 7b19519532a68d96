/**
 * `api-keys create --write-env FILE [--var NAME]`: the token goes into the .env file only (atomic,
 * 0600, other lines kept), never to stdout and never into the store.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/kms/index.js';
import { kw, oneLineError, type RunResult, tempDir } from './harness.js';

const T = 180_000;
let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const run = (args: string[]): Promise<RunResult> => kw(args, { cwd: dir, env });
const keyCount = async (): Promise<number> =>
  (JSON.parse((await run(['--json', 'api-keys', 'list'])).stdout) as unknown[]).length;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  expect((await run(['init'])).code).toBe(0);
}, T);
afterAll(() => cleanup());

async function storeText(): Promise<string> {
  const files = await readdir(join(dir, '.keywarden'));
  const texts = await Promise.all(
    files.map((f) => readFile(join(dir, '.keywarden', f), 'latin1').catch(() => '')),
  );
  return texts.join('\n');
}

describe('api-keys create --write-env', () => {
  it('writes the token into the file (0600, comments kept), prints no token, stores none', {
    timeout: T,
  }, async () => {
    const file = join(dir, 'mcp.env');
    await writeFile(file, '# MCP server settings\nPORT=3000\n\n# keep me\nexport LOG_LEVEL=debug\n');
    const r = await run(['api-keys', 'create', '--name', 'mcp', '--scopes', 'mcp', '--write-env', 'mcp.env']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote API_KEY to ${file} (mode 0600)\n`);
    const text = await readFile(file, 'utf8');
    const token = /^API_KEY=(\S+)$/m.exec(text)?.[1] ?? '';
    expect(token).toMatch(/^kw_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    expect(text.startsWith('# MCP server settings\nPORT=3000\n\n# keep me\nexport LOG_LEVEL=debug\n')).toBe(
      true,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(await storeText()).not.toContain(token);
    expect(await storeText()).not.toContain(token.slice(16)); // nor its secret part
    const v = await kw(['api-keys', 'verify', '--scopes', 'mcp'], { cwd: dir, env, input: token });
    expect(v.code).toBe(0);
    // no temp file left behind
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to replace an existing variable without --force, creating no key; --var picks another', {
    timeout: T,
  }, async () => {
    const before = await keyCount();
    const again = await run(['api-keys', 'create', '--name', 'mcp2', '--write-env', 'mcp.env']);
    expect(again.code).toBe(6);
    expect(oneLineError(again.stderr)).toMatch(/already sets API_KEY; use --force/);
    expect(await keyCount()).toBe(before);

    const other = await run([
      '--json',
      'api-keys',
      'create',
      '--name',
      'ci',
      '--write-env',
      'mcp.env',
      '--var',
      'CI_KEY',
    ]);
    expect(other.code).toBe(0);
    const body = JSON.parse(other.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({ var: 'CI_KEY', envFile: join(dir, 'mcp.env') });
    expect(body).not.toHaveProperty('token');
    const text = await readFile(join(dir, 'mcp.env'), 'utf8');
    expect(text).toMatch(/^API_KEY=kw_/m);
    expect(text).toMatch(/^CI_KEY=kw_/m);

    const oldToken = /^API_KEY=(\S+)$/m.exec(text)?.[1];
    const forced = await run(['api-keys', 'create', '--name', 'mcp3', '--write-env', 'mcp.env', '--force']);
    expect(forced.code).toBe(0);
    const after = await readFile(join(dir, 'mcp.env'), 'utf8');
    expect(/^API_KEY=(\S+)$/m.exec(after)?.[1]).not.toBe(oldToken);
    expect(after.match(/^API_KEY=/gm)).toHaveLength(1);
  });

  it('a file that cannot be written leaves no key behind; bad --var is a usage error', {
    timeout: T,
  }, async () => {
    const before = await keyCount();
    const r = await run(['api-keys', 'create', '--name', 'lost', '--write-env', 'missing-dir/.env']);
    expect(r.code).toBe(5);
    expect(oneLineError(r.stderr)).toMatch(/could not write .*the key was not kept \(ERR_STORAGE\)$/);
    expect(await keyCount()).toBe(before);
    const bad = await run([
      '--json',
      'api-keys',
      'create',
      '--name',
      'x',
      '--write-env',
      'a.env',
      '--var',
      'A-B',
    ]);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'ERR_VALIDATION', field: '--var' } });
    const stray = await run(['api-keys', 'create', '--name', 'x', '--var', 'A']);
    expect(stray.code).toBe(2);
  });
});
