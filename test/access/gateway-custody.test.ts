/**
 * Custody: the agent never holds the real key. A real upstream on 127.0.0.1 checks it received the
 * real key in the provider's slot; the agent is a separate `node` process whose environment holds
 * only the gateway URL and its proxy token, and which calls the gateway with the real OpenAI,
 * Anthropic and Stripe SDKs. It reports its env, argv and every response it saw; the real key is in
 * none of them (raw, base64 at any alignment, base64url, percent-encoded, hex), although the
 * upstream echoes it back in every one of those forms, in headers and bodies and across SSE chunks.
 * Runs once on memory storage and once on the file adapter.
 */
import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/access/gateway/index.js';
import { fileStorage } from '../../src/adapters/file.js';
import {
  addTool,
  findLeak,
  grant,
  SECRETS,
  type Seen,
  setupAccess,
  startUpstream,
  type Upstream,
  violations,
} from './gateway-harness.js';

const run = promisify(execFile);
const AGENT = fileURLToPath(new URL('./agent-sdk.mjs', import.meta.url));

interface AgentReport {
  env: Record<string, string>;
  argv: string[];
  responses: unknown[];
  errors: { message: string; status: number | null }[];
}

for (const adapter of ['memory', 'file'] as const) {
  describe(`custody through the gateway (${adapter} storage)`, () => {
    let upstream: Upstream;
    let gw: Gateway;
    let dir: string | null = null;
    let env: ReturnType<typeof setupAccess>;

    beforeAll(async () => {
      if (adapter === 'file') dir = await mkdtemp(join(tmpdir(), 'kw-gateway-'));
      // every echo must leave its own row here, so the violation throttle is off (its own tests:
      // test/access/violation-throttle.test.ts)
      env = setupAccess(dir === null ? undefined : fileStorage({ dir, create: true }), {
        violationThrottle: false,
      });
      upstream = await startUpstream();
      const origin = upstream.origin;
      const { km, access } = env;
      await addTool(km, access, {
        id: 'openai',
        secretValue: SECRETS.openai,
        upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
        methods: ['GET', 'POST'],
        paths: ['/v1/chat/completions', '/v1/models'],
      });
      await addTool(km, access, {
        id: 'anthropic',
        secretValue: SECRETS.anthropic,
        upstream: { origin, auth: { type: 'header', name: 'x-api-key' }, allowPrivateNetwork: true },
        methods: ['POST'],
        paths: ['/v1/messages'],
      });
      await addTool(km, access, {
        id: 'stripe',
        secretValue: SECRETS.stripe,
        upstream: { origin, auth: { type: 'basic' }, allowPrivateNetwork: true },
        methods: ['GET', 'POST'],
        paths: ['/v1/charges'],
      });
      gw = createGateway(access);
      await gw.listen({ host: '127.0.0.1', port: 0 });
    });

    afterAll(async () => {
      await gw?.close();
      await upstream?.close();
      await env?.km.close();
      if (dir !== null) await rm(dir, { recursive: true, force: true });
    });

    async function agent(
      sdk: string,
      toolId: string,
    ): Promise<{ report: AgentReport; raw: string; token: string }> {
      const token = await grant(env.access, toolId, `agent-${sdk}`);
      const { stdout, stderr } = await run(process.execPath, [AGENT, sdk], {
        env: { GATEWAY_URL: gw.url, PROXY_TOKEN: token },
        timeout: 30_000,
      });
      const raw = `${stdout}\n${stderr}`;
      return { report: JSON.parse(stdout) as AgentReport, raw, token };
    }

    function assertNoLeak(raw: string): void {
      for (const secret of Object.values(SECRETS)) expect(findLeak(raw, secret)).toBeNull();
    }

    function received(since: number, path: string): Seen[] {
      return upstream.seen.slice(since).filter((s) => s.url.startsWith(path));
    }

    it('OpenAI SDK: chat, streamed chat and models; the upstream gets Bearer <real key>', async () => {
      const since = upstream.seen.length;
      const { report, raw, token } = await agent('openai', 'openai');
      expect(report.errors).toEqual([]);
      expect(Object.keys(report.env).sort()).toEqual(['GATEWAY_URL', 'PROXY_TOKEN']);
      expect(report.env.PROXY_TOKEN).toBe(token);
      assertNoLeak(raw);
      // the agent saw the answers, with the echoes masked in place
      const [chat, stream] = report.responses as [
        {
          body: { choices: { message: { content: string } }[]; echo: Record<string, string> };
          headers: Record<string, string>;
        },
        { text: string; stream: unknown[] },
      ];
      expect(chat.body.choices[0]?.message.content).toMatch(/^echo \*+$/);
      expect(chat.body.echo.raw).toMatch(/^\*+$/);
      expect(chat.headers['x-echo']).toMatch(/^Bearer \*+$/);
      expect(stream.stream.length).toBe(3);
      expect(stream.text).toMatch(/^Hello \*+$/);
      const calls = received(since, '/v1/');
      expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
        'POST /v1/chat/completions',
        'POST /v1/chat/completions',
        'GET /v1/models',
      ]);
      for (const c of calls) {
        expect(c.headers.authorization).toBe(`Bearer ${SECRETS.openai}`);
        expect(JSON.stringify(c)).not.toContain(token);
      }
    });

    it('Anthropic SDK: messages (token as Bearer, then as x-api-key); the upstream gets x-api-key: <real key> only', async () => {
      const since = upstream.seen.length;
      const { report, raw, token } = await agent('anthropic', 'anthropic');
      expect(report.errors).toEqual([]);
      assertNoLeak(raw);
      const [msg] = report.responses as [
        { body: { content: { text: string }[] }; headers: Record<string, string> },
      ];
      expect(msg.body.content[0]?.text).toMatch(/^echo \*+$/);
      // first call: the SDK's Authorization: Bearer; second: the token in x-api-key
      const calls = received(since, '/v1/messages');
      expect(calls).toHaveLength(2);
      for (const c of calls) {
        expect(c.headers['x-api-key']).toBe(SECRETS.anthropic);
        expect(c.headers.authorization).toBeUndefined();
        expect(c.headers['anthropic-version']).toBeDefined();
        expect(JSON.stringify(c)).not.toContain(token);
      }
    });

    it('Stripe SDK: create and list charges; the upstream gets Basic base64(<real key>:)', async () => {
      const since = upstream.seen.length;
      const { report, raw, token } = await agent('stripe', 'stripe');
      expect(report.errors).toEqual([]);
      assertNoLeak(raw);
      const [charge] = report.responses as [{ body: { id: string; description: string } }];
      expect(charge.body.id).toBe('ch_1');
      expect(charge.body.description).toMatch(/^\*+$/);
      const calls = received(since, '/v1/charges');
      expect(calls.map((c) => c.method)).toEqual(['POST', 'GET']);
      for (const c of calls) {
        expect(c.headers.authorization).toBe(`Basic ${Buffer.from(`${SECRETS.stripe}:`).toString('base64')}`);
        expect(JSON.stringify(c)).not.toContain(token);
      }
      expect(calls[0]?.body).toContain('amount=100');
    });

    it('records each echo as a violation and audits without any secret or token', async () => {
      const reasons = await violations(env.km);
      expect(
        reasons.filter((r) => r === 'upstream echoed the secret (masked)').length,
      ).toBeGreaterThanOrEqual(5);
      const page = await env.km.audit.list({ limit: 1000 });
      const text = JSON.stringify(page.items);
      for (const secret of Object.values(SECRETS)) expect(findLeak(text, secret)).toBeNull();
      expect(text).not.toMatch(/kwp_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}/);
    });
  });
}
