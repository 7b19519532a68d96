/**
 * keywarden: issue and verify API keys, hold encrypted secrets, manage signing keys, rotate them,
 * with a hash-chained audit log. Adapters, KMS and notifiers live in subpath exports
 * (`keywarden/adapters/memory`, `keywarden/kms`, `keywarden/notifiers`...).
 *
 * @example
 * ```ts
 * import { createKeyManager } from 'keywarden';
 * import { memoryStorage } from 'keywarden/adapters/memory';
 * import { localKms, generateMasterKey } from 'keywarden/kms';
 *
 * const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) });
 * const { token } = await km.apiKeys.create({ name: 'billing-service', scopes: ['invoices:*'] });
 * const r = await km.apiKeys.verify(token, { scopes: ['invoices:read'] }); // r.valid === true
 * ```
 * @module keywarden
 */

export {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupBundle,
  type BackupExportOptions,
  type BackupImportOptions,
  type BackupImportReport,
  type BackupView,
  parseBackupBundle,
} from './backup/index.js';
export * from './crypto/index.js';
export { type Duration, MAX_DURATION_MS, parseDuration } from './duration.js';
export type { IterateQuery } from './internal/iterate.js';
export type { StoreCheckProblem, StoreCheckReport } from './manager/check.js';
export {
  createKeyManager,
  type KeyManager,
  type KeyManagerOptions,
  type KeyStore,
} from './manager/key-manager.js';
export type { MetricsOption } from './manager/metrics-option.js';
export type { CountRuleOption, MonitorOption, ViolationRuleOption } from './manager/monitor-option.js';
export type { UpgradeOptions, UpgradeReport } from './manager/upgrade.js';
export type * from './ports/index.js';
export { AUDIT_EVENT_TYPES, RECORD_KINDS, STORAGE_ADAPTER_METHODS } from './ports/names.js';
export { type MemoryRateLimiterOptions, memoryRateLimiter } from './rate-limit/memory.js';
export {
  isRecordKind,
  type KindMaterial,
  kindDescriptor,
  RECORD_KIND_DESCRIPTORS,
  type RecordKindDescriptor,
} from './records/kinds.js';
export type {
  CleanupOptions,
  CleanupReport,
  DueAction,
  DueItem,
  DueOptions,
  KeyRotator,
  NamedSchedule,
  ProviderContext,
  RotatedItem,
  RotateOptions,
  RotateResult,
  RotationPolicyInfo,
  RotationPolicyInput,
  RotationProvider,
  RotationRollbackResult,
  RotationStrategy,
  RotationTarget,
  RunDueOptions,
  RunDueReport,
  StartOptions,
} from './records/rotation-types.js';
export type { UsageBucket, UsageOptions, UsageReport } from './records/usage-report.js';
export type { RewrapOptions, RewrapReport } from './rotation/rewrap.js';
export type * from './store/api-key-types.js';
export type * from './store/jwt-types.js';
export type * from './store/key-types.js';
export type * from './store/secret-types.js';
