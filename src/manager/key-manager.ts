/**
 * `createKeyManager`: wires storage, KMS, clock, notifier and rate limiter into one store context
 * and the typed views over it.
 * @module
 */
import * as z from 'zod/mini';
import { type BackupView, createBackupView } from '../backup/index.js';
import { type KeyGenerator, keyGenerator } from '../crypto/index.js';
import { API_TOKEN_PREFIX_PATTERN } from '../crypto/tokens.js';
import type { Duration } from '../duration.js';
import { registerCapabilityContext } from '../extension/index.js';
import { ASYNC_DISPOSE } from '../internal/dispose.js';
import { createLog } from '../internal/log.js';
import { parseObject } from '../internal/parse-object.js';
import type { Clock } from '../ports/clock.js';
import type { KmsAdapter } from '../ports/kms.js';
import type { Logger } from '../ports/logger.js';
import type { MeterLike, MeterProviderLike } from '../ports/metrics.js';
import { STORAGE_ADAPTER_METHODS } from '../ports/names.js';
import type { Notifier } from '../ports/notifier.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { StorageAdapter } from '../ports/storage.js';
import { memoryRateLimiter } from '../rate-limit/memory.js';
import type { ResolvedOptions } from '../records/context.js';
import { durationSchema } from '../records/schemas.js';
import { type RewrapOptions, type RewrapReport, rewrapAll } from '../rotation/rewrap.js';
import { createRotator, type KeyRotator } from '../rotation/rotator.js';
import type { ApiKeysView, AuditView } from '../store/api-key-types.js';
import { createApiKeysView } from '../store/api-keys.js';
import { createAuditView } from '../store/audit-view.js';
import type { KeysView } from '../store/key-types.js';
import { createKeysView } from '../store/keys.js';
import type { SecretsView } from '../store/secret-types.js';
import { createSecretsView } from '../store/secrets.js';
import { checkStore, type StoreCheckReport } from './check.js';
import { type MetricsOption, resolveMetrics } from './metrics-option.js';
import { type MonitorOption, monitorOptionSchema, resolveMonitor } from './monitor-option.js';
import { createStoreContext } from './store-context.js';
import { type UpgradeOptions, type UpgradeReport, upgradeStore } from './upgrade.js';

/** Options of {@link createKeyManager}. */
export interface KeyManagerOptions {
  /** Where records, audit events and metadata live (required). */
  storage: StorageAdapter;
  /** Wraps data keys and the store pepper (required). */
  kms: KmsAdapter;
  /** Told about lifecycle events; its failures never fail an operation. */
  notifier?: Notifier;
  /** Time source (epoch ms); default `Date.now`. Use `fakeClock()` in tests. */
  clock?: Clock;
  /** Defaults applied to new API keys when `apiKeys.create` does not say. */
  defaults?: {
    /** Token prefix of new API keys (default `'kw'`). */
    apiKeyPrefix?: string;
    /** Lifetime of new API keys (default `'90d'`); `null` = never expire. */
    expiresIn?: Duration | null;
  };
  /** What the audit log records beyond every change. */
  audit?: {
    /** Which verifications are audited (default `'failures'`). */
    verifications?: 'failures' | 'all' | 'none';
  };
  /** Rate limiter for per-key limits (default `memoryRateLimiter()`, per process). */
  rateLimiter?: RateLimiter;
  /**
   * Usage tracking of API keys (default on): each successful `verify` is counted in memory and
   * written in batches every `flushInterval` (default `'10s'`; `0`: only at `close()`) as the key's
   * `lastUsedAt` and per-version use counts. `close()` flushes first. `false` turns it off.
   */
  usage?:
    | {
        /** How often buffered usage is written (default `'10s'`; `0`: only at `close()`). */
        flushInterval?: Duration;
      }
    | false;
  /**
   * Opened signing and HMAC keys kept in memory so `keys.sign` and HMAC `keys.verify` do not
   * unwrap and decrypt the sealed key on every call: at most `max` keys (default 64), each for at
   * most `ttl` after it was opened (default `'1m'`), dropped at once when the key is rotated,
   * revoked, changed or deleted, and by `close()`. The same limits bound a second cache, of the data
   * keys `secrets.get` had the KMS unwrap (the value itself is opened on every read; a data key only
   * serves the wrapped key, record, version and labels it was unwrapped for). `false` opens the key
   * and unwraps the data key on every call (the trade-off is in docs/threat-model.md).
   */
  keyCache?:
    | {
        /** How long an opened key is kept after it was opened (default `'1m'`, at most `'1d'`). */
        ttl?: Duration;
        /** Most keys kept at once, and most data keys (default 64 each; `0` keeps none). */
        max?: number;
      }
    | false;
  /**
   * OpenTelemetry metrics (docs/observability.md). Absent or `false`: none. `{ meterProvider }`
   * or `{ meter }`: recorded there. `true` or `{}`: the global provider of `@opentelemetry/api`
   * (optional peer dependency, loaded on first use; nothing recorded when it is not installed).
   */
  metrics?: MetricsOption;
  /**
   * Where warnings go (notifier failures, audit write failures, compare-and-swap retries given
   * up, throttled verify-failure audit rows, failed usage flushes): a pino- or console-like logger
   * (`warn(fields, message)`...). Never given a token, secret value or key material.
   */
  logger?: Logger;
  /**
   * The security monitor (docs/observability.md): `true` runs every rule with its defaults; an
   * object tunes or turns off (`false`) each rule. Absent: no monitor.
   */
  monitor?: MonitorOption;
}

/** The store part: the typed views over one store, usable without the rest of the manager. */
export interface KeyStore {
  /** API keys you issue to your clients: create, verify (stored only as a keyed hash), update, revoke, usage. */
  readonly apiKeys: ApiKeysView;
  /** Third-party secrets you hold, encrypted: set, get (decrypted), versions, rollback, toEnv. */
  readonly secrets: SecretsView;
  /** Signing, HMAC and encryption keys: sign, verify, JWT, JWKS, encrypt, decrypt. */
  readonly keys: KeysView;
  /** The hash-chained audit log: list, verify, checkpoint and export events. */
  readonly audit: AuditView;
}

/** What {@link createKeyManager} returns. */
export interface KeyManager extends KeyStore {
  /** Runs init now (it otherwise runs on first use). Wrong master key: `ERR_MASTER_KEY_MISMATCH`. */
  ready(): Promise<void>;
  /**
   * Flushes buffered usage, zeroes the pepper and closes rate limiter, KMS and storage.
   * Idempotent; later calls: `ERR_CLOSED`.
   */
  close(): Promise<void>;
  /**
   * The same as {@link KeyManager.close}, so `await using km = createKeyManager(...)` closes the
   * manager when the block exits.
   *
   * @example
   * ```ts
   * declare const masterKey: MasterKeyInput;
   * {
   *   await using km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey }) });
   *   await km.apiKeys.create({ name: 'ci' });
   * } // km.close() ran here
   * ```
   */
  [Symbol.asyncDispose](): Promise<void>;
  /** The pure key generator (tokens, ids, symmetric keys, key pairs, JWK, derivation). */
  readonly generator: KeyGenerator;
  /** The store part (`apiKeys`, `secrets`, `keys`, `audit`). */
  readonly store: KeyStore;
  /** Rotation: policies, schedules, strategies, rollback, provider hooks (see docs/rotation.md). */
  readonly rotator: KeyRotator;
  /** Backup and migration bundles: `export({ plaintext? })`, `import(bundle, { onConflict })` (docs/backup.md). */
  readonly backup: BackupView;
  /**
   * Rewraps every data key (and the pepper) made by an older master key. `signal` stops it between
   * records (`report.interrupted`; run it again to finish); `onProgress(done, total)` after each record.
   *
   * @example
   * ```ts
   * const report = await km.rewrap({ onProgress: (done, total) => console.log(`${done}/${total}`) });
   * ```
   * @throws KeywardenError `ERR_VALIDATION` (options), `ERR_KMS`, `ERR_STORAGE`, `ERR_AUDIT`, `ERR_CLOSED`.
   */
  rewrap(options?: RewrapOptions): Promise<RewrapReport>;
  /**
   * Reads every record and reports those that do not parse or whose sealed values do not open
   * under this manager's KMS (what `keywarden doctor` runs). Writes nothing.
   * @throws KeywardenError `ERR_MASTER_KEY_MISMATCH`, `ERR_STORAGE`, `ERR_CLOSED`.
   */
  check(): Promise<StoreCheckReport>;
  /**
   * Upgrades a store written by keywarden 0.1: seals every record with its MAC and every value
   * sealed in the 0.1 envelope format again in format 2 (labels bound; resumable, one
   * `store.upgraded` audit event), then marks the store `0.2`, after which a record without a MAC
   * or a 0.1 envelope is refused. On a 0.2 store it only seals 0.1 envelopes again (a 0.1 backup
   * imported). See docs/threat-model.md.
   * @throws KeywardenError `ERR_INTEGRITY` (format marker missing or altered), `ERR_AUDIT`,
   *   `ERR_STORAGE`, `ERR_CLOSED`.
   */
  upgrade(options?: UpgradeOptions): Promise<UpgradeReport>;
}

const fn = (v: unknown, name: string) => typeof (v as Record<string, unknown>)[name] === 'function';
const hasMethods = (names: readonly string[]) => (v: unknown) =>
  typeof v === 'object' && v !== null && names.every((n) => fn(v, n));

const optionsSchema = z.strictObject({
  storage: z.custom<StorageAdapter>(hasMethods(STORAGE_ADAPTER_METHODS), 'must be a StorageAdapter'),
  kms: z.custom<KmsAdapter>(
    (v) => hasMethods(['wrapKey', 'unwrapKey'])(v) && typeof (v as KmsAdapter).id === 'string',
    'must be a KmsAdapter (id, wrapKey, unwrapKey)',
  ),
  notifier: z.optional(z.custom<Notifier>(hasMethods(['notify']), 'must be a Notifier (notify)')),
  clock: z.optional(z.custom<Clock>(hasMethods(['now']), 'must be a Clock (now)')),
  defaults: z.optional(
    z.strictObject({
      apiKeyPrefix: z.optional(
        z.string().check(z.minLength(1), z.maxLength(32), z.regex(API_TOKEN_PREFIX_PATTERN)),
      ),
      expiresIn: z.optional(
        z.nullable(durationSchema.check(z.refine((ms) => ms >= 1000, 'must be at least 1 second'))),
      ),
    }),
  ),
  audit: z.optional(z.strictObject({ verifications: z.optional(z.enum(['failures', 'all', 'none'])) })),
  rateLimiter: z.optional(z.custom<RateLimiter>(hasMethods(['limit']), 'must be a RateLimiter (limit)')),
  usage: z.optional(
    z.union([
      z.literal(false),
      z.strictObject({
        flushInterval: z.optional(
          durationSchema.check(z.refine((ms) => ms <= 86_400_000, 'must be at most 1 day')),
        ),
      }),
    ]),
  ),
  keyCache: z.optional(
    z.union([
      z.literal(false),
      z.strictObject({
        ttl: z.optional(durationSchema.check(z.refine((ms) => ms <= 86_400_000, 'must be at most 1 day'))),
        max: z.optional(z.number().check(z.int(), z.gte(0), z.lte(100_000))),
      }),
    ]),
  ),
  metrics: z.optional(
    z.union([
      z.boolean(),
      z.strictObject({
        meterProvider: z.optional(
          z.custom<MeterProviderLike>(hasMethods(['getMeter']), 'must be a MeterProvider (getMeter)'),
        ),
        meter: z.optional(
          z.custom<MeterLike>(
            hasMethods([
              'createCounter',
              'createHistogram',
              'createUpDownCounter',
              'createObservableCounter',
            ]),
            'must be an OpenTelemetry Meter',
          ),
        ),
      }),
    ]),
  ),
  monitor: z.optional(monitorOptionSchema),
  logger: z.optional(
    z.custom<Logger>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['error', 'warn', 'info', 'debug'].some((n) => fn(v, n)) &&
        ['error', 'warn', 'info', 'debug'].every(
          (n) => (v as Record<string, unknown>)[n] === undefined || fn(v, n),
        ),
      'must be a logger (error, warn, info, debug methods)',
    ),
  ),
});

const OPTION_KEYS: ReadonlySet<string> = new Set(Object.keys(optionsSchema.shape));

const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * Creates a key manager. Nothing touches storage until first use (or `ready()`).
 *
 * @example
 * ```ts
 * declare const masterKey: MasterKeyInput;
 * import { createKeyManager } from 'keywarden';
 * import { memoryStorage } from 'keywarden/adapters/memory';
 * import { localKms } from 'keywarden/kms';
 *
 * const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey }) });
 * const { token } = await km.apiKeys.create({ name: 'ci', scopes: ['deploy:*'] });
 * await km.apiKeys.verify(token); // { valid: true, ... }
 * await km.close();
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the bad option (`storage`, `kms`,
 *   `defaults.apiKeyPrefix`, `defaults.expiresIn`, `audit.verifications`, `usage.flushInterval`,
 *   `metrics`, `logger`, `monitor.*`, an unknown option by name...).
 */
export function createKeyManager(options: KeyManagerOptions): KeyManager {
  const o = parseObject(optionsSchema, OPTION_KEYS, options, 'options');
  const resolved: ResolvedOptions = Object.freeze({
    apiKeyPrefix: o.defaults?.apiKeyPrefix ?? 'kw',
    expiresIn: o.defaults?.expiresIn === undefined ? 90 * 86_400_000 : o.defaults.expiresIn,
    verifications: o.audit?.verifications ?? 'failures',
  });
  const telemetry = resolveMetrics(o.metrics);
  const ctx = createStoreContext({
    storage: o.storage,
    kms: o.kms,
    clock: o.clock ?? systemClock,
    options: resolved,
    rateLimiter: o.rateLimiter ?? memoryRateLimiter(),
    notifier: o.notifier,
    usage: o.usage,
    keyCache: o.keyCache,
    telemetry,
    log: createLog(o.logger),
    monitor: resolveMonitor(o.monitor),
  });
  const stats = (o.storage as { stats?: unknown }).stats;
  if (typeof stats === 'function') {
    // cachedStorage(): its hit and miss counters, read at each collection
    telemetry.observeCache(() => stats.call(o.storage) as { hits: number; misses: number });
  }
  const store: KeyStore = Object.freeze({
    apiKeys: createApiKeysView(ctx),
    secrets: createSecretsView(ctx),
    keys: createKeysView(ctx),
    audit: createAuditView(ctx),
  });
  const manager: KeyManager = Object.freeze({
    ...store,
    store,
    rotator: createRotator(ctx),
    backup: createBackupView(ctx),
    generator: keyGenerator,
    async ready() {
      await ctx.ready();
    },
    close: () => ctx.close(),
    [ASYNC_DISPOSE]: () => ctx.close(),
    async rewrap(options?: RewrapOptions) {
      await ctx.ready();
      return rewrapAll(ctx, options);
    },
    check: () => checkStore(ctx, ctx.integrity),
    upgrade: (options?: UpgradeOptions) => upgradeStore(ctx, ctx.integrity, options),
  });
  registerCapabilityContext(manager, ctx);
  return manager;
}
