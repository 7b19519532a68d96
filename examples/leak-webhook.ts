/**
 * Leaked-token auto-revoke: a Hono app with GitHub's secret-scanning webhook mounted, fed one
 * report the way GitHub sends it, then the audit trail exported as CSV.
 *
 *   npx tsx examples/leak-webhook.ts
 *
 * GitHub signs its reports with keys it publishes at
 * https://api.github.com/meta/public_keys/secret_scanning (the handler's default source). This
 * example has no network, so it plays GitHub with a local P-256 key and hands the handler that key
 * through `publicKeys`. It starts on a free port, posts one report, prints what happened and exits.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { memoryStorage } from '../src/adapters/memory.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { consoleNotifier } from '../src/notifiers/index.js';
import { githubSecretScanning } from '../src/observability/index.js';

const km = createKeyManager({
  storage: memoryStorage(),
  kms: localKms({ masterKey: generateMasterKey() }),
  notifier: consoleNotifier(), // key.revoked and security.token_leaked show up here
});

// Playing GitHub: a signing key and its published form.
const github = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyId = 'local-example-key';
const onLeak = githubSecretScanning(km, {
  publicKeys: async () => [
    {
      key_identifier: keyId,
      key: github.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      is_current: true,
    },
  ],
});

const app = new Hono();
// The raw request goes to the handler: GitHub signs the bytes, so no body parser may run first.
app.post('/webhooks/github-secret-scanning', (c) => onLeak(c.req.raw));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const { port } = server.address() as AddressInfo;

const { token, key } = await km.apiKeys.create({ name: 'ci deploy key', scopes: ['deploy'] });
console.log('issued', key.start, '- verifies:', (await km.apiKeys.verify(token)).valid);

// Somebody commits the token to a public repository; GitHub finds it and reports it:
const body = JSON.stringify([
  {
    token,
    type: 'keywarden_api_key',
    url: 'https://github.com/octo/app/blob/0f1e/deploy.yml',
    source: 'content',
  },
]);
const res = await fetch(`http://127.0.0.1:${port}/webhooks/github-secret-scanning`, {
  method: 'POST',
  body,
  headers: {
    'content-type': 'application/json',
    'Github-Public-Key-Identifier': keyId,
    'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), github.privateKey).toString('base64'),
  },
});
console.log('webhook answered', res.status, await res.text());
const after = await km.apiKeys.verify(token);
console.log('verifies now:', after.valid, after.valid ? '' : after.code);

console.log('\naudit trail (CSV):');
for await (const chunk of km.audit.export({ format: 'csv' })) process.stdout.write(chunk);

server.close();
await km.close();
