// Plain Node ESM consumer: every subpath export resolves and exposes its documented functions.
import assert from 'node:assert/strict';

const expected = {
  keywarden: ['createKeyManager', 'parseDuration', 'generateApiToken', 'checkApiToken', 'generateKeyPair'],
  'keywarden/errors': ['KeywardenError', 'isKeywardenError'],
  'keywarden/adapters/memory': ['memoryStorage'],
  'keywarden/adapters/file': ['fileStorage'],
  'keywarden/adapters/postgres': ['postgresStorage'],
  'keywarden/adapters/supabase': ['supabaseStorage'],
  'keywarden/kms': ['localKms', 'passphraseKms', 'generateMasterKey'],
  'keywarden/notifiers': [
    'callbackNotifier',
    'consoleNotifier',
    'webhookNotifier',
    'multiNotifier',
    'verifyWebhookSignature',
  ],
  'keywarden/testing': [
    'testStorageAdapter',
    'testKmsAdapter',
    'testNotifier',
    'fakeClock',
    'createTestKeyManager',
  ],
  'keywarden/middleware': ['verifyRequest', 'nodeMiddleware', 'honoMiddleware', 'mcpAuth'],
  'keywarden/cache': ['cachedStorage'],
  'keywarden/rate-limit': ['storageRateLimiter', 'memoryRateLimiter'],
  'keywarden/usage': ['createUsageTracker'],
  'keywarden/extension': [
    'capabilityContext',
    'mutateRecord',
    'createRecords',
    'deleteRecord',
    'kindDescriptor',
  ],
};

for (const [specifier, names] of Object.entries(expected)) {
  const mod = await import(specifier);
  for (const name of names) assert.equal(typeof mod[name], 'function', `${specifier} exports ${name}`);
}

// keyGenerator bundles the generator functions as one frozen object.
const { keyGenerator } = await import('keywarden');
assert.ok(Object.isFrozen(keyGenerator), 'keyGenerator is frozen');
assert.equal(typeof keyGenerator.generateApiToken, 'function');

// A real round trip through the published build: issue a key, verify it, keep a secret.
const { createKeyManager } = await import('keywarden');
const { memoryStorage } = await import('keywarden/adapters/memory');
const { localKms, generateMasterKey } = await import('keywarden/kms');
const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) });
const { token } = await km.apiKeys.create({ name: 'smoke', scopes: ['read'] });
assert.equal((await km.apiKeys.verify(token, { scopes: ['read'] })).valid, true);
assert.equal((await km.apiKeys.verify(`${token.slice(0, -1)}x`)).valid, false);
await km.secrets.set('SMOKE', 'value-1');
assert.equal(await km.secrets.get('SMOKE'), 'value-1');
await km.close();
console.log('consumer.mjs: every subpath imported; key and secret round trip ok');
