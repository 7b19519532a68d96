/**
 * `keywarden setup PROVIDER`: format checks offline, storage under the usual variable names, and
 * `--verify` against a provider stand-in on loopback (the tests never leave the machine).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../src/cli/providers.js';
import { type InitializedStore, initializedStore, oneLineError, type RunResult } from './harness.js';

const T = 180_000;
let store: InitializedStore;
const run = (args: string[], input?: string): Promise<RunResult> => store.run(args, input);

const OPENAI = `sk-proj-${'A1b2'.repeat(12)}`;
const ANTHROPIC = `sk-ant-api03-${'x9Y_'.repeat(20)}`;
let api: { url: string; seen: IncomingHttpHeaders[]; close: () => Promise<void> };

beforeAll(async () => {
  store = await initializedStore(); // keywarden init, checked
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const ok =
      req.url === '/v1/models' &&
      (req.headers.authorization === `Bearer ${OPENAI}` || req.headers['x-api-key'] === ANTHROPIC);
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(ok ? '{"data":[]}' : '{"error":"invalid key"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  api = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}, T);
afterAll(async () => {
  await api?.close();
  await store?.cleanup();
});

describe('provider presets', () => {
  it('know the usual variable names and key shapes of the common providers', () => {
    expect(Object.keys(PROVIDERS).sort()).toEqual(
      ['anthropic', 'aws', 'azure-openai', 'github', 'google', 'huggingface', 'openai', 'stripe'].sort(),
    );
    const ok: [string, string, string][] = [
      ['openai', 'OPENAI_API_KEY', OPENAI],
      ['anthropic', 'ANTHROPIC_API_KEY', ANTHROPIC],
      ['google', 'GEMINI_API_KEY', `AIza${'B'.repeat(35)}`],
      ['aws', 'AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE'],
      ['aws', 'AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
      ['huggingface', 'HF_TOKEN', `hf_${'a'.repeat(34)}`],
      ['stripe', 'STRIPE_SECRET_KEY', `sk_test_${'4eC39HqLyjWDarjtT1zdp7dc'}`],
      ['github', 'GITHUB_TOKEN', `ghp_${'a'.repeat(36)}`],
      ['azure-openai', 'AZURE_OPENAI_ENDPOINT', 'https://my-res.openai.azure.com/'],
    ];
    for (const [p, v, value] of ok) {
      const field = PROVIDERS[p]?.fields.find((f) => f.envVar === v);
      expect(field?.pattern.test(value), `${p} ${v}`).toBe(true);
    }
    const bad: [string, string][] = [
      ['openai', `sk-ant-api03-${'x'.repeat(40)}`.replace('sk-ant', 'pk-ant')],
      ['stripe', 'pk_live_abcdefghijklmnop'], // a publishable key is not a secret key
      ['github', `ghp_${'a'.repeat(35)}`],
      ['aws', 'AKIA123'],
    ];
    for (const [p, value] of bad) expect(PROVIDERS[p]?.fields[0]?.pattern.test(value), `${p}`).toBe(false);
  });
});

describe('keywarden setup', () => {
  it('stores the key under the usual variable with the provider set; never prints it', {
    timeout: T,
  }, async () => {
    const r = await run(['--json', '--env', 'dev', 'setup', 'openai'], `${OPENAI}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(OPENAI);
    expect(JSON.parse(r.stdout)).toMatchObject({
      provider: 'openai',
      verified: false,
      secrets: [{ name: 'OPENAI_API_KEY', environment: 'dev', version: 1 }],
    });
    const list = await run(['--json', '--env', 'dev', 'secrets', 'list', '--provider', 'openai']);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { name: 'OPENAI_API_KEY', envVar: 'OPENAI_API_KEY', provider: 'openai' },
    ]);
    expect((await run(['--env', 'dev', 'secrets', 'get', 'OPENAI_API_KEY'])).stdout).toBe(`${OPENAI}\n`);
  });

  it('takes one value a line for providers with two (AWS)', { timeout: T }, async () => {
    const r = await run(['setup', 'aws'], 'AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^stored AWS_ACCESS_KEY_ID version 1 \(default\)\nstored AWS_SECRET_ACCESS_KEY version 1/,
    );
    const missing = await run(['setup', 'aws'], 'AKIAIOSFODNN7EXAMPLE\n');
    expect(missing.code).toBe(2);
    expect(oneLineError(missing.stderr)).toMatch(/no value for AWS_SECRET_ACCESS_KEY/);
  });

  it('refuses a value of the wrong shape without echoing it, unless --no-check', { timeout: T }, async () => {
    const wrong = 'pk_live_not-a-secret-key-0123456789';
    const r = await run(['--json', 'setup', 'stripe'], wrong);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { code: 'ERR_VALIDATION', field: 'STRIPE_SECRET_KEY' },
    });
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect((await run(['secrets', 'get', 'STRIPE_SECRET_KEY'])).code).toBe(3);
    const forced = await run(['setup', 'stripe', '--no-check'], wrong);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/does not look like/);
    const unknown = await run(['--json', 'setup', 'acme'], 'x');
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      error: { code: 'ERR_VALIDATION', field: 'PROVIDER' },
    });
  });

  it('--verify asks the provider (a loopback stand-in) before storing; a refused key is not stored', {
    timeout: T,
  }, async () => {
    const ok = await run(['setup', 'anthropic', '--verify', '--api-base', api.url], ANTHROPIC);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/verified with Anthropic/);
    expect(api.seen.at(-1)?.['anthropic-version']).toBe('2023-06-01');

    const other = `sk-proj-${'Z9y8'.repeat(12)}`;
    const refused = await run(['--env', 'x', 'setup', 'openai', '--verify', '--api-base', api.url], other);
    expect(refused.code).toBe(1);
    expect(oneLineError(refused.stderr)).toBe(
      'keywarden: OpenAI refused the key (HTTP 401); nothing was stored (ERR_PROVIDER_REJECTED)',
    );
    expect((await run(['--env', 'x', 'secrets', 'get', 'OPENAI_API_KEY'])).code).toBe(3);

    const down = await run(
      ['--env', 'y', 'setup', 'openai', '--verify', '--api-base', 'http://127.0.0.1:1'],
      OPENAI,
    );
    expect(down.code).toBe(1);
    expect(oneLineError(down.stderr)).toMatch(/\(ERR_PROVIDER_UNREACHABLE\)$/);
    const none = await run(
      ['setup', 'aws', '--verify'],
      'AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    );
    expect(oneLineError(none.stderr)).toMatch(/--verify is not available for AWS \(ERR_UNSUPPORTED\)$/);
  });
});
