// Plain Node ESM consumer: every subpath export resolves and exposes its documented functions.
import assert from 'node:assert/strict';

const expected = {
  keywarden: ['createKeyManager', 'parseDuration', 'generateApiToken', 'checkApiToken', 'generateKeyPair'],
  'keywarden/errors': ['KeywardenError', 'isKeywardenError'],
  'keywarden/crypto': ['generateApiToken', 'checkApiToken', 'generateId', 'generateKeyPair'],
  'keywarden/crypto/noble': ['registerNobleCurves', 'registerNobleKdfs'],
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
    'verifyStandardWebhook',
    'signStandardWebhook',
    'generateWebhookSecret',
  ],
  'keywarden/testing': [
    'testStorageAdapter',
    'testKmsAdapter',
    'testNotifier',
    'fakeClock',
    'createTestKeyManager',
  ],
  'keywarden/middleware': ['verifyRequest', 'honoMiddleware', 'denialResponse'],
  'keywarden/middleware/node': ['nodeMiddleware', 'writeDenial'],
  'keywarden/middleware/mcp': ['mcpAuth', 'hasScopes', 'toMcpAuthInfo'],
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
  'keywarden/observability': ['githubSecretScanning', 'rotationReport', 'apiKeyTokenPattern', 'csvField'],
  'keywarden/access': ['agentAccess'],
  'keywarden/access/gateway': ['createGateway'],
  'keywarden/http': ['managementApi', 'openApiDocument'],
  'keywarden/http/node': ['nodeHandler'],
  'keywarden/access': ['agentAccess', 'credentialHeader', 'methodAllowed', 'pathAllowed'],
  'keywarden/access/gateway': ['createGateway'],
  'keywarden/access/mcp': ['accessMcpServer'],
};

for (const [specifier, names] of Object.entries(expected)) {
  const mod = await import(specifier);
  for (const name of names) assert.equal(typeof mod[name], 'function', `${specifier} exports ${name}`);
}

// keyGenerator bundles the generator functions as one frozen object.
const { keyGenerator } = await import('keywarden');
assert.ok(Object.isFrozen(keyGenerator), 'keyGenerator is frozen');
assert.equal(typeof keyGenerator.generateApiToken, 'function');
assert.equal((await import('keywarden/crypto')).keyGenerator, keyGenerator, 'keywarden/crypto has the same keyGenerator');

// keywarden/schemas: Standard Schema v1 objects that refuse what the manager refuses.
const schemas = await import('keywarden/schemas');
for (const name of ['apiKeyCreateSchema', 'secretSetSchema', 'keyCreateSchema', 'rotationPolicySchema']) {
  assert.equal(schemas[name]?.['~standard']?.version, 1, `keywarden/schemas exports ${name}`);
}
assert.ok((await schemas.apiKeyCreateSchema['~standard'].validate({ name: '' })).issues, 'an empty name is refused');

// A real round trip through the published build: issue a key, verify it, keep a secret.
const { createKeyManager } = await import('keywarden');
const { memoryStorage } = await import('keywarden/adapters/memory');
const { localKms, generateMasterKey } = await import('keywarden/kms');
const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) });
const { token } = await km.apiKeys.create({ name: 'smoke', scopes: ['read'] });
assert.equal((await km.apiKeys.verify(token, { scopes: ['read'] })).valid, true);
// a one-character typo (never the same character: a token may end in 'x')
assert.equal(
  (await km.apiKeys.verify(`${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`)).valid,
  false,
);
await km.secrets.set('SMOKE', 'value-1');
assert.equal(await km.secrets.get('SMOKE'), 'value-1');
let csv = '';
for await (const chunk of km.audit.export({ format: 'csv' })) csv += chunk;
assert.ok(csv.startsWith('seq,at,type,'), 'audit export writes the CSV header');
const { githubSecretScanning } = await import('keywarden/observability');
const onLeak = githubSecretScanning(km, { publicKeys: async () => [] });
assert.equal((await onLeak(new Request('http://localhost/', { method: 'GET' }))).status, 405);
// The management API answers through the published build, authenticated by an operator key.
const { managementApi } = await import('keywarden/http');
const api = managementApi(km);
const { token: ops } = await km.apiKeys.create({ name: 'ops', scopes: ['keywarden:read'] });
const listed = await api(
  new Request('http://localhost/secrets', { headers: { authorization: `Bearer ${ops}` } }),
);
assert.equal(listed.status, 200);
assert.equal((await api(new Request('http://localhost/secrets'))).status, 401);
await km.close();
console.log('consumer.mjs: every subpath imported; key, secret and management API round trip ok');
