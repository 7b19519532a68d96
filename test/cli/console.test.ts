/**
 * `keywarden console` as its own process over a file store: it needs KEYWARDEN_OPERATOR_KEY (an
 * operator key; an application key is refused without printing it), prints its URL and a one-time
 * login link, answers on 127.0.0.1 only, and the link works once.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { baseEnv, kw, oneLineError, ROOT, TSX, tempDir } from './harness.js';

const T = 120_000;
let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const run = (args: string[], extra: Record<string, string> = {}) =>
  kw(args, { cwd: dir, env: { ...env, ...extra } });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const r = await run(['init']);
  if (r.code !== 0) throw new Error(r.stderr);
}, T);
afterAll(async () => {
  await cleanup();
});

/** Resolves with the first `n` stdout lines of a child process. */
function lines(child: ReturnType<typeof spawn>, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const got = out.split('\n');
      if (got.length > n) resolve(got.slice(0, n));
    });
    child.once('close', (code) => reject(new Error(`console exited ${code}: ${err}`)));
  });
}

describe('keywarden console', () => {
  it('refuses to start without an operator key, or with a key that has no keywarden scope', {
    timeout: T,
  }, async () => {
    const none = await run(['console']);
    expect(none.code).toBe(EXIT.USAGE);
    expect(oneLineError(none.stderr)).toContain('KEYWARDEN_OPERATOR_KEY');
    const app = await run(['--json', 'api-keys', 'create', '--name', 'app', '--scopes', 'invoices:read']);
    const token = (JSON.parse(app.stdout) as { token: string }).token;
    const refused = await run(['console'], { KEYWARDEN_OPERATOR_KEY: token });
    expect(refused.code).toBe(EXIT.FAILED);
    expect(oneLineError(refused.stderr)).toContain('keywarden: scope');
    expect(refused.stderr + refused.stdout).not.toContain(token);
  });

  it('prints its URL and a one-time login link; the link works once', { timeout: T }, async () => {
    const op = await run([
      '--json',
      'api-keys',
      'create',
      '--name',
      'console',
      '--owner',
      'alice',
      '--scopes',
      'keywarden:admin',
    ]);
    const token = (JSON.parse(op.stdout) as { token: string }).token;
    const child = spawn(
      process.execPath,
      ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'console', '--port', '0'],
      {
        cwd: dir,
        env: { ...baseEnv(dir), ...env, KEYWARDEN_OPERATOR_KEY: token },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const [url, link] = await lines(child, 2);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(link).toMatch(new RegExp(`^${url}/login\\?token=[A-Za-z0-9_-]{43}$`));
      const first = await fetch(link as string, { redirect: 'manual' });
      expect(first.status).toBe(303);
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string;
      expect((await fetch(link as string, { redirect: 'manual' })).status).toBe(401);
      const session = await fetch(`${url}/console/session`, { headers: { cookie } });
      const body = (await session.json()) as { operator: { id: string }; csrfToken: string };
      expect(body.operator.id).toBe('alice');
      const keys = await fetch(`${url}/api/api-keys`, {
        headers: { cookie, 'x-csrf-token': body.csrfToken },
      });
      expect(keys.status).toBe(200);
      expect(await keys.text()).not.toContain(token);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });
});
