/**
 * `keywarden access ...` and `keywarden gateway` through the real CLI: tools, requests, approvals
 * carrying the operator's name, self-approval refused, sessions, revoke, and a running gateway that
 * refuses the revoked token.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { baseEnv, kw, oneLineError, ROOT, TSX, tempDir } from './harness.js';

const T = 180_000;
let dir: string;
let cleanup: () => Promise<void>;
let upstream: Server;
let origin: string;
let hits: (string | undefined)[] = [];
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey(), KEYWARDEN_OPERATOR: 'carol' };
const run = (args: string[], input?: string, extra: Record<string, string> = {}) =>
  kw(args, { cwd: dir, env: { ...env, ...extra }, ...(input === undefined ? {} : { input }) });
const json = <T>(r: { stdout: string; stderr: string; code: number | null }): T => {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  upstream = createServer((req, res) => {
    hits.push(req.headers.authorization);
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const r = await run(['init']);
  if (r.code !== 0) throw new Error(r.stderr);
  const s = await run(['secrets', 'set', 'UPSTREAM_KEY'], 'sk_cli_upstream_secret_0123456789');
  if (s.code !== 0) throw new Error(s.stderr);
}, T);
afterAll(async () => {
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
  await cleanup();
});

describe('keywarden access', () => {
  it('tools, requests, approvals with the operator name, sessions and revoke', { timeout: T }, async () => {
    const tool = json<{ id: string; upstream: { origin: string } }>(
      await run([
        '--json',
        'access',
        'tools',
        'add',
        '--id',
        'local',
        '--secret',
        'UPSTREAM_KEY',
        '--origin',
        origin,
        '--allow-private-network',
        '--methods',
        'GET,POST',
        '--paths',
        '/v1/**',
        '--max-calls',
        '10',
      ]),
    );
    expect(tool).toMatchObject({ id: 'local', upstream: { origin } });
    const listed = await run(['access', 'tools', 'list']);
    expect(listed.stdout).toContain('local');
    expect((await run(['access', 'tools', 'show', 'local'])).stdout).toContain('UPSTREAM_KEY (default)');
    const bad = await run(['access', 'tools', 'add', '--id', 'x', '--secret', 'S', '--origin', 'ftp://x']);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(oneLineError(bad.stderr)).toContain('upstream.origin');

    const req = json<{ id: string; status: string }>(
      await run([
        '--json',
        'access',
        'request',
        '--tool',
        'local',
        '--agent',
        'agent-7',
        '--on-behalf-of',
        'dave',
        '--justification',
        'sync invoices',
        '--duration',
        '30m',
      ]),
    );
    expect(req.status).toBe('pending');
    const pending = json<{ id: string }[]>(
      await run(['--json', 'access', 'requests', '--status', 'pending']),
    );
    expect(pending.map((r) => r.id)).toEqual([req.id]);

    const self = await run(['access', 'approve', req.id, '--as', 'dave']);
    expect(self.code).toBe(EXIT.FAILED);
    expect(oneLineError(self.stderr)).toContain('ERR_FORBIDDEN');
    const widen = await run(['access', 'approve', req.id, '--duration', '2h']);
    expect(widen.code).toBe(EXIT.USAGE);

    const approved = json<{ status: string; approvals: { approver: string }[]; grant: { duration: number } }>(
      await run(['--json', 'access', 'approve', req.id, '--duration', '10m']),
    );
    expect(approved.status).toBe('approved');
    expect(approved.approvals.map((x) => x.approver)).toEqual(['carol']); // from KEYWARDEN_OPERATOR
    expect(approved.grant.duration).toBe(600_000);
    const audit = await run(['--json', 'audit', 'list', '--type', 'access.approved']);
    expect(audit.stdout).toContain('"actor": "carol"');

    const opened = await run(['access', 'open', req.id]);
    expect(opened.code).toBe(0);
    const token = opened.stdout.trim();
    expect(token).toMatch(/^kwp_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    const sessionId = token.slice(4, 16);
    expect(opened.stderr).toContain('shown only once');
    const sessions = await run(['access', 'sessions']);
    expect(sessions.stdout).toContain(sessionId);
    expect(sessions.stdout).not.toContain(token);

    // the gateway, as its own process, serves the session until it is revoked from the CLI
    const gw = spawn(
      process.execPath,
      ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'gateway', '--port', '0'],
      {
        cwd: dir,
        env: { ...baseEnv(dir), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await firstLine(gw);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      hits = [];
      const ok = await fetch(`${url}/local/v1/invoices`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(hits).toEqual(['Bearer sk_cli_upstream_secret_0123456789']);
      const revoked = await run(['access', 'revoke', sessionId, '--reason', 'done']);
      expect(revoked.stdout).toContain('revoked');
      const after = await fetch(`${url}/local/v1/invoices`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(after.status).toBe(401);
      expect(await after.json()).toEqual({ error: 'REVOKED' });
      expect(hits).toHaveLength(1);
    } finally {
      gw.kill('SIGTERM');
      await new Promise((resolve) => gw.once('close', resolve));
    }

    const denyReq = json<{ id: string }>(
      await run([
        '--json',
        'access',
        'request',
        '--tool',
        'local',
        '--agent',
        'agent-8',
        '--justification',
        'x',
      ]),
    );
    const denied = await run(['access', 'deny', denyReq.id, '--reason', 'not needed', '--as', 'erin']);
    expect(denied.stdout).toContain('denied');
    const all = json<{ id: string; status: string }[]>(await run(['--json', 'access', 'requests']));
    expect(all.map((r) => r.status).sort()).toEqual(['denied', 'ended']);
    expect((await run(['access', 'sweep'])).code).toBe(0);
    expect((await run(['access', 'tools', 'rm', 'local'])).code).toBe(0);
    expect((await run(['access', 'tools', 'show', 'local'])).code).toBe(EXIT.NOT_FOUND);
  });
});

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    child.once('close', (code) => reject(new Error(`gateway exited ${code}: ${err}`)));
  });
}
