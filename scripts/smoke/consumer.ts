// TypeScript consumer: must type-check against the published declarations (NodeNext, strict).
import {
  type ApiKeyInfo,
  type AuditExportOptions,
  createKeyManager,
  type KeyManager,
  parseDuration,
} from 'keywarden';
import { type AgentAccess, agentAccess } from 'keywarden/access';
import { createGateway } from 'keywarden/access/gateway';
import { type AccessMcpServerOptions, accessMcpServer } from 'keywarden/access/mcp';
import { fileStorage } from 'keywarden/adapters/file';
import { memoryStorage } from 'keywarden/adapters/memory';
import { postgresStorage } from 'keywarden/adapters/postgres';
import { supabaseStorage } from 'keywarden/adapters/supabase';
import { cachedStorage } from 'keywarden/cache';
import { type GeneratedApiToken, generateApiToken, type KeyGenerator, keyGenerator } from 'keywarden/crypto';
import { registerNobleCurves, registerNobleKdfs } from 'keywarden/crypto/noble';
import { isKeywardenError, KeywardenError, type KeywardenErrorCode } from 'keywarden/errors';
import { type CapabilityContext, capabilityContext, mutateRecord } from 'keywarden/extension';
import { type ManagementApi, managementApi } from 'keywarden/http';
import { nodeHandler } from 'keywarden/http/node';
import { generateMasterKey, localKms } from 'keywarden/kms';
import { verifyRequest } from 'keywarden/middleware';
import { mcpAuth } from 'keywarden/middleware/mcp';
import { nodeMiddleware } from 'keywarden/middleware/node';
import { callbackNotifier, verifyWebhookSignature } from 'keywarden/notifiers';
import {
  type GitHubSecretScanningOptions,
  githubSecretScanning,
  type RotationReport,
  rotationReport,
} from 'keywarden/observability';
import { storageRateLimiter } from 'keywarden/rate-limit';
import { apiKeyCreateSchema } from 'keywarden/schemas';
import { createTestKeyManager, fakeClock, testStorageAdapter } from 'keywarden/testing';
import { createUsageTracker } from 'keywarden/usage';

const km: KeyManager = createKeyManager({
  storage: cachedStorage(memoryStorage(), { ttl: '5s' }),
  kms: localKms({ masterKey: generateMasterKey() }),
  notifier: callbackNotifier(() => {}),
});
const ms: number = parseDuration('90d');
const generated: GeneratedApiToken = generateApiToken({ prefix: 'sk_test' });
const generator: KeyGenerator = keyGenerator;
const tokenOk: boolean = generator.checkApiToken(generated.token).ok;
const checked = apiKeyCreateSchema['~standard'].validate({ name: 'smoke' });
const capability: CapabilityContext = capabilityContext(km);
const code: KeywardenErrorCode = 'ERR_VALIDATION';
const err = new KeywardenError(code, 'x');
const ok: boolean = isKeywardenError(err, 'ERR_VALIDATION');
async function use(): Promise<ApiKeyInfo> {
  const { token, key } = await km.apiKeys.create({ name: 'ts', scopes: ['a:*'], expiresIn: '30d' });
  const r = await km.apiKeys.verify(token, { scopes: ['a:b'] });
  if (r.valid) return r.key;
  return key;
}
const leakOptions: GitHubSecretScanningOptions = {
  publicKeys: async () => [{ key_identifier: 'id', key: 'PEM', is_current: true }],
  access: { revokeToken: async () => false },
};
const onLeak: (request: Request) => Promise<Response> = githubSecretScanning(km, leakOptions);
async function report(): Promise<RotationReport> {
  const exportOptions: AuditExportOptions = { format: 'jsonl', from: new Date(0) };
  const chunks: AsyncIterable<string> = km.audit.export(exportOptions);
  void chunks;
  return rotationReport(km, { since: '7d' });
}
const api: ManagementApi = managementApi(km, { basePath: '/admin' });
const access: AgentAccess = agentAccess(km, { pendingTtl: '1h' });
const mcpOptions: AccessMcpServerOptions = { agentId: 'agent-7', gatewayUrl: 'http://127.0.0.1:8787' };
void [
  access,
  createGateway,
  api,
  accessMcpServer(access, { agentId: 'agent-7' }),
  createGateway(access),
  mcpOptions,
  nodeHandler(api),
  onLeak,
  report,
  nodeMiddleware,
  mcpAuth,
  verifyRequest,
  cachedStorage,
  storageRateLimiter,
  createUsageTracker,
  use,
  ms,
  tokenOk,
  checked,
  ok,
  fileStorage,
  postgresStorage,
  supabaseStorage,
  verifyWebhookSignature,
  createTestKeyManager,
  fakeClock,
  testStorageAdapter,
  capability,
  mutateRecord,
  registerNobleCurves,
  registerNobleKdfs,
];
