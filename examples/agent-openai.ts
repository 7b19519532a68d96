/**
 * An AI agent calling OpenAI through the keywarden gateway, holding only a proxy token.
 *
 *   npx tsx examples/agent-openai.ts
 *
 * Runs offline: a small fake OpenAI API on 127.0.0.1 stands in for api.openai.com (it even echoes
 * the key it received, as a careless upstream might). For the real API, register the tool with
 * `origin: 'https://api.openai.com'` (and no `allowPrivateNetwork`) and store your real key.
 *
 * What happens:
 * 1. The operator stores the OpenAI key as a keywarden secret and registers an `openai` tool.
 * 2. The agent asks for access; a human approves (narrowing the grant to 5 minutes).
 * 3. A session opens: the agent gets a `kwp_…` proxy token, never the key.
 * 4. The agent, a separate process whose environment holds only the gateway URL and the token,
 *    uses the official OpenAI SDK with `baseURL` pointing at the gateway.
 * 5. The gateway checks the token, swaps it for the key on the way to the tool's origin, and masks
 *    the key in the answer.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { createGateway } from '../src/access/gateway/index.js';
import { agentAccess } from '../src/access/index.js';
import { memoryStorage } from '../src/adapters/memory.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';

/** The agent: only GATEWAY_URL and PROXY_TOKEN in its environment. */
async function agent(): Promise<void> {
  const openai = new OpenAI({
    apiKey: process.env.PROXY_TOKEN, // a kwp_… proxy token, not an OpenAI key
    baseURL: `${process.env.GATEWAY_URL}/openai/v1`,
    maxRetries: 0,
  });
  const answer = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'What key are you using?' }],
  });
  console.log(`[agent] env: ${Object.keys(process.env).join(', ')}`);
  console.log(`[agent] answer: ${answer.choices[0]?.message.content}`);
}

/** A fake OpenAI chat completions endpoint that (badly) echoes the key it got. */
async function fakeOpenAI(): Promise<{ origin: string; close: () => void; lastKey: () => string }> {
  let lastKey = '';
  const server = createServer((req, res) => {
    lastKey = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        id: 'chatcmpl-example',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: 'gpt-4o-mini',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: `I was called with ${lastKey}` },
            finish_reason: 'stop',
          },
        ],
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => server.close(), lastKey: () => lastKey };
}

async function operator(): Promise<void> {
  const upstream = await fakeOpenAI();
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
  });
  const access = agentAccess(km);
  const gateway = createGateway(access);
  try {
    const realKey = 'sk-proj-example-real-key-0123456789abcdefghijklmnop';
    await km.secrets.set('OPENAI_API_KEY', realKey);
    await access.tools.register({
      id: 'openai',
      name: 'OpenAI',
      secret: 'OPENAI_API_KEY',
      // the real API: { origin: 'https://api.openai.com', auth: { type: 'bearer' } }
      upstream: { origin: upstream.origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      methods: ['POST'],
      paths: ['/v1/chat/completions'],
      risk: 'medium',
      approval: 'required',
      maxDuration: '15m',
      maxCalls: 20,
    });

    const request = await access.requests.create({
      toolId: 'openai',
      agentId: 'support-bot',
      onBehalfOf: 'user_42',
      justification: 'answer ticket #123',
      duration: '10m',
    });
    await access.requests.approve(request.id, { approver: 'alice', duration: '5m' });
    const session = await access.sessions.open(request.id);
    const { url } = await gateway.listen({ host: '127.0.0.1', port: 0 });
    console.log(`[operator] gateway at ${url}, session ${session.start}… for ${session.toolId}`);

    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'agent'], {
      env: { GATEWAY_URL: url, PROXY_TOKEN: session.token }, // nothing else: no key, no inherited env
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`agent exited with ${code}`);

    console.log(`[operator] the upstream received the real key: ${upstream.lastKey() === realKey}`);
    const used = await access.sessions.get(session.id);
    console.log(`[operator] calls used: ${used.callsUsed} of ${used.maxCalls}`);
    const audit = await km.audit.list({ limit: 100 });
    console.log(`[operator] audit: ${audit.items.map((e) => e.type).join(', ')}`);
  } finally {
    await gateway.close();
    upstream.close();
    await km.close();
  }
}

if (process.argv[2] === 'agent') await agent();
else await operator();
