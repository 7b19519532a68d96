/**
 * keywarden quickstart — run with `npm run demo`.
 *
 * Uses the embedded default: file storage in a fresh temporary folder (no server), a local master
 * key, and prints every step: issue an API key, verify it, see scopes and revocation at work, keep
 * a third-party secret encrypted, sign with an Ed25519 key and publish its JWKS, check the audit chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStorage } from '../src/adapters/file.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';

const dir = mkdtempSync(join(tmpdir(), 'keywarden-demo-'));
const masterKey = process.env.KEYWARDEN_MASTER_KEY ?? generateMasterKey();
const km = createKeyManager({
  storage: fileStorage({ dir: join(dir, 'store'), create: true }),
  kms: localKms({ masterKey }),
});

function show(label: string, value: unknown): void {
  console.log(`${label.padEnd(34)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

try {
  await km.ready();
  show('store folder', join(dir, 'store'));

  // 1. Issue an API key. The token is shown once; only a peppered HMAC of it is stored.
  const { token, key } = await km.apiKeys.create({
    name: 'billing service',
    prefix: 'sk_live',
    scopes: ['invoices:*', 'customers:read'],
    expiresIn: '90d',
  });
  show('issued token (shown once)', `${token.slice(0, 24)}… (${token.length} chars)`);
  show('key id / start', `${key.id} / ${key.start}`);

  // 2. Verify it, with and without enough scope; a typo is rejected by the checksum, no storage read.
  const ok = await km.apiKeys.verify(token, { scopes: ['invoices:create'] });
  show('verify invoices:create', ok.valid ? 'valid' : ok.code);
  const denied = await km.apiKeys.verify(token, { scopes: ['customers:delete'] });
  show('verify customers:delete', denied.valid ? 'valid' : denied.code);
  const typo = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  const bad = await km.apiKeys.verify(typo);
  show('verify a token with one typo', bad.valid ? 'valid' : bad.code);

  // 3. Revoke it: verification fails from now on.
  await km.apiKeys.revoke(key.id, { reason: 'demo' });
  const revoked = await km.apiKeys.verify(token);
  show('verify after revoke', revoked.valid ? 'valid' : revoked.code);

  // 4. Keep a third-party secret: AES-256-GCM envelope encryption, versioned, audited reads.
  await km.secrets.set('OPENAI_API_KEY', 'sk-demo-not-a-real-key-1', { environment: 'production' });
  await km.secrets.set('OPENAI_API_KEY', 'sk-demo-not-a-real-key-2', { environment: 'production' });
  const versions = await km.secrets.versions('OPENAI_API_KEY', { environment: 'production' });
  show('secret versions', versions.map((v) => `v${v.version}:${v.state}`).join(' '));
  const value = await km.secrets.get('OPENAI_API_KEY', { environment: 'production' });
  show('secret value (current)', `${value.slice(0, 8)}…`);
  const env = await km.secrets.toEnv({ environment: 'production' });
  show('as environment variables', Object.keys(env));

  // 5. A signing key: sign, verify, publish the public JWKS.
  await km.keys.create({ name: 'webhooks', type: 'ed25519' });
  const signature = await km.keys.sign('webhooks', 'hello');
  show('Ed25519 signature bytes', signature.length);
  show('signature verifies', await km.keys.verify('webhooks', 'hello', signature));
  const jwks = await km.keys.jwks('webhooks');
  show(
    'JWKS kids',
    jwks.keys.map((k) => k.kid),
  );

  // 6. The audit trail: hash-chained, never a secret in it.
  const events = await km.audit.list({ limit: 100 });
  show('audit events', events.items.map((e) => e.type).join(', '));
  show('audit chain', await km.audit.verify());
} finally {
  await km.close();
  rmSync(dir, { recursive: true, force: true });
}
