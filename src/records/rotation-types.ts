/**
 * Public types of `km.rotator`: policies, strategies, provider hooks, reports.
 * @module
 */
import type { Duration } from '../duration.js';
import type { RecordKind } from '../ports/storage.js';

/** How a rotation moves versions. See docs/rotation.md for timelines. */
export type RotationStrategy = 'immediate' | 'overlap' | 'gradual' | 'blue-green';

/** Named calendar schedules (UTC calendar arithmetic; monthly = same day next month, clamped). */
export type NamedSchedule = 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';

/**
 * A rotation policy as you give it (to `setPolicy`, or as `rotation` at create time).
 * Give `every` or `cron` (or neither: manual rotation only, the strategy still applies).
 *
 * @example
 * ```ts
 * const policy: RotationPolicyInput = { every: '30d', strategy: 'overlap', overlap: '24h', notifyBefore: '7d' };
 * ```
 */
export interface RotationPolicyInput {
  /** A duration (`'30d'`, ms) or a named schedule. */
  every?: Duration | NamedSchedule | undefined;
  /** A cron expression (5–7 fields, evaluated in UTC; syntax in docs/rotation.md). */
  cron?: string | undefined;
  /** Default `'overlap'`. */
  strategy?: RotationStrategy | undefined;
  /** How long the old version stays accepted after it stops being current. Default `'24h'`. */
  overlap?: Duration | undefined;
  /** Gradual: how long the new version stays pending (published, accepted) before promotion. Default `'1h'`. */
  promoteAfter?: Duration | undefined;
  /** Send `key.expiring` this long before the next rotation or expiry (once per version). */
  notifyBefore?: Duration | undefined;
  /** Gradual API keys: retire a previous version early once unused for this long (needs usage data). */
  idleRetireAfter?: Duration | undefined;
}

/** A stored policy as the rotator reports it (durations in ms). */
export interface RotationPolicyInfo {
  /** Fixed interval in ms, or null. */
  every: number | null;
  /** Named schedule, or null. */
  schedule: NamedSchedule | null;
  /** The cron expression (evaluated in UTC), or null. */
  cron: string | null;
  /** How a rotation moves versions (`'overlap'` unless the policy said otherwise). */
  strategy: RotationStrategy;
  /** How long (ms) the old version stays accepted after it stops being current (default 24 h). */
  overlap: number;
  /** `gradual`: how long (ms) a new version stays pending before promotion (default 1 h). */
  promoteAfter: number;
  /** How long (ms) before the next rotation or expiry `key.expiring` is sent, or null for no notice. */
  notifyBefore: number | null;
  /** `gradual` API keys: retire a previous version once unused this long (ms), or null. */
  idleRetireAfter: number | null;
  /** Next scheduled rotation (epoch ms), or null for manual-only policies. */
  nextRotationAt: number | null;
  /** When the next `key.expiring` notice is due, or null. */
  nextNoticeAt: number | null;
  /** When the record was last rotated (epoch ms), or null when never. */
  lastRotatedAt: number | null;
  /** A failed provider rotation is retried at this time, or null. */
  retryAt: number | null;
  /** Consecutive failed attempts. */
  attempts: number;
}

/** Options of `rotate`. */
export interface RotateOptions {
  /** Overrides the policy's strategy for this rotation. */
  strategy?: RotationStrategy;
  /** Overrides the policy's overlap for this rotation. */
  overlap?: Duration;
  /** Who asked (recorded in the audit trail). */
  actor?: string;
  /** Rotate only on this record `revision` (the one you read); else `ERR_CONFLICT`, nothing written. */
  expectedRevision?: number;
}

/** What `rotate` returns. API keys: `token` is a non-enumerable, show-once property. */
export interface RotateResult {
  /** The new version number. */
  version: number;
  /** Its state after the rotation (`current`, or `pending` for gradual). */
  state: 'current' | 'pending';
  /** The version that was current before, or null. */
  previousVersion: number | null;
  /** API keys only: the new token (non-enumerable: not in JSON or inspect output). */
  readonly token?: string;
}

/** What `rollback` returns. */
export interface RotationRollbackResult {
  /** The version that is current now. */
  version: number;
  /** The version that was undone (the former current, or a discarded pending one). */
  fromVersion: number;
}

/** Options of `due`. */
export interface DueOptions {
  /** Look ahead this far from now (default 0: due now). */
  within?: Duration;
  /** 1..1000, default 100. */
  limit?: number;
}

/** One due action on a record. */
export type DueAction =
  | {
      /** Promote a pending version (its `promoteAfter` passed) to current. */
      type: 'promote';
      /** The pending version. */
      version: number;
      /** When it became due (epoch ms): the version's promotion time. */
      at: number;
    }
  | {
      /** Retire a previous version (its overlap ended, or it went idle). */
      type: 'retire';
      /** The previous version. */
      version: number;
      /** When it became due (epoch ms): its `retireAt`, or the time it went idle. */
      at: number;
    }
  | {
      /** Mark the record `expired` (its `expiresAt` passed). */
      type: 'expire';
      /** The record's `expiresAt` (epoch ms). */
      at: number;
    }
  | {
      /** Send the `key.expiring` notice. */
      type: 'notify';
      /** The version the notice is about (the current one). */
      version: number;
      /** When the notice became due (epoch ms). */
      at: number;
      /** What is coming: the record's expiry or its next rotation. */
      reason: 'expiry' | 'rotation';
    }
  | {
      /** Rotate per the policy (or retry a failed provider rotation). */
      type: 'rotate';
      /** When it became due (epoch ms): the scheduled rotation time, or the retry time. */
      at: number;
      /** The policy's strategy. */
      strategy: RotationStrategy;
      /** The secret's rotation provider when its hooks make the new value, else null. */
      provider: string | null;
    }
  | {
      /** Resume a provider rotation whose runner lost its lease. */
      type: 'resume';
      /** When the lease ran out (epoch ms). */
      at: number;
      /** The provider hook step to run again (`create`, `set`, `test`, `finish`). */
      step: string;
    };

/** A record with work due (from `due` and dry runs). */
export interface DueItem {
  /** The record id. */
  id: string;
  /** What the record is: API key, secret or signing key. */
  kind: RecordKind;
  /** The record's name (an API key's display name). */
  name: string;
  /** The record's environment. */
  environment: string;
  /** The record's tenant, or null. */
  tenantId: string | null;
  /** The earliest time (epoch ms) any work on the record is due, or null. */
  dueAt: number | null;
  /** What would be done, in order. */
  actions: DueAction[];
}

/** Options of `runDue`. */
export interface RunDueOptions {
  /** Compute `planned`, write nothing. */
  dryRun?: boolean;
  /** Most records handled in this run, 1..10000, default 100. */
  limit?: number;
  /** The time to run at (epoch ms); default the manager's clock. */
  now?: number;
  /**
   * Stops the run between records (and tells provider hooks through their `signal`); the report
   * says `interrupted`, and the next run picks up what is still due.
   */
  signal?: AbortSignal;
  /** Called after each due record is handled: `done` of `total` due records. */
  onProgress?: (done: number, total: number) => void;
}

/** One rotation done by `runDue`. */
export interface RotatedItem {
  /** The record id. */
  id: string;
  /** What the record is: API key, secret or signing key. */
  kind: RecordKind;
  /** The new version number. */
  version: number;
  /** The version that was current before, or null. */
  previousVersion: number | null;
  /** The strategy the rotation used. */
  strategy: RotationStrategy;
  /** API keys only: the new token (non-enumerable; not in JSON or inspect output). */
  readonly token?: string;
}

/** What one `runDue` did. */
export interface RunDueReport {
  /** API keys: each entry has a non-enumerable, show-once `token` (the only copy of the new token). */
  rotated: RotatedItem[];
  /** Pending versions made current. */
  promoted: {
    /** The record id. */
    id: string;
    /** The version promoted. */
    version: number;
  }[];
  /** Previous versions retired (overlap over, or idle). */
  retired: {
    /** The record id. */
    id: string;
    /** The version retired. */
    version: number;
  }[];
  /** Records marked `expired`. */
  expired: {
    /** The record id. */
    id: string;
  }[];
  /** `key.expiring` notices sent. */
  notified: {
    /** The record id. */
    id: string;
    /** The version the notice is about. */
    version: number;
    /** What is coming: the expiry or the next rotation. */
    reason: 'expiry' | 'rotation';
  }[];
  /** Records whose work failed; the rest of the run goes on. A failed provider rotation is retried later. */
  failed: {
    /** The record id. */
    id: string;
    /** The `KeywardenError` code (`ERR_ROTATION` for an error that is not one). */
    code: string;
    /** The error's message (never a secret). */
    message: string;
  }[];
  /** Records that were due but had nothing left to do (e.g. another runner did it). */
  skipped: {
    /** The record id. */
    id: string;
    /** Why, in words (e.g. `'lease lost to another runner'`, `'interrupted'`). */
    reason: string;
  }[];
  /** Dry runs: what would be done. */
  planned: DueItem[];
  /** True when `options.signal` (or `stop()`/`close()`) stopped the run before the last due record. */
  interrupted: boolean;
}

/** What a provider hook receives. Never logged. */
export interface ProviderContext {
  /** The secret's name. */
  name: string;
  /** The secret's environment. */
  environment: string;
  /** The secret's tenant, or null. */
  tenantId: string | null;
  /** The record id. */
  id: string;
  /** The pending version number (the idempotency token of this rotation). */
  version: number;
  /** The pending value (absent in `create`). */
  value?: string;
  /** The current value, when there is one (absent in `create` if unreadable). */
  currentValue?: string;
  /** Aborted when the rotator stops; an interrupted rotation resumes on a later run. */
  signal: AbortSignal;
}

/**
 * Rotation hooks for secrets whose `provider` names them, AWS style: create → set → test → finish.
 * Each step must be idempotent: after a crash the step in progress runs again.
 */
export interface RotationProvider {
  /** Makes the new value (e.g. asks the third party for a new credential). */
  create(ctx: ProviderContext): Promise<string>;
  /** Installs the pending value where it must live (optional). */
  set?(ctx: ProviderContext): Promise<void>;
  /**
   * Checks the pending value works (optional). Throw, or resolve `false`, to reject it: the
   * rotation fails exactly as for a throw. Only `undefined` (void) or `true` accepts it; any other
   * result is a rejection (fail closed).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: void keeps existing `async test() {}` hooks valid
  test?(ctx: ProviderContext): Promise<void | boolean>;
  /** Last step before the pending value becomes current (optional). */
  finish?(ctx: ProviderContext): Promise<void>;
  /** Called (best effort) with a discarded pending value, so the third party can revoke it. */
  revoke?(ctx: ProviderContext): Promise<void>;
}

/** Options of `start`. */
export interface StartOptions {
  /** Time between runs (default `'1m'`, at least 1s). */
  interval?: Duration;
  /** Most records per run (default 100). */
  limit?: number;
  /** Told about a run that threw and about each failed record; never throws into the event loop. */
  onError?: (error: unknown) => void;
  /**
   * Gets each run's report. Scheduled API-key rotations deliver their new tokens only here
   * (`report.rotated[i].token`, non-enumerable).
   */
  onReport?: (report: RunDueReport) => void;
}

/** Options of `cleanup`. */
export interface CleanupOptions {
  /** Destroy the material of versions retired longer ago than this (e.g. `'30d'`). */
  retiredOlderThan: Duration;
  /** Most records examined, 1..100000, default 10000. */
  limit?: number;
}

/** What `cleanup` did. */
export interface CleanupReport {
  /** The versions whose material was destroyed (their metadata stays). */
  destroyed: {
    /** The record id. */
    id: string;
    /** The version number. */
    version: number;
  }[];
}

/**
 * What a rotator method acts on: a record id (any kind; API keys have no unique name), or a secret
 * or signing key by name, as `km.secrets` / `km.keys` take them (environment default `'default'`).
 */
export type RotationTarget =
  | string
  | {
      /** The secret's name. */
      secret: string;
      /** The secret's environment; absent: `'default'`. */
      environment?: string;
      /** The secret's tenant; absent or null: none. */
      tenantId?: string | null;
    }
  | {
      /** The signing key's name. */
      key: string;
      /** The key's environment; absent: `'default'`. */
      environment?: string;
      /** The key's tenant; absent or null: none. */
      tenantId?: string | null;
    };

/**
 * `km.rotator`: policies, schedules, strategies, rollback, provider hooks, scheduler.
 *
 * @example
 * ```ts
 * const { key } = await km.apiKeys.create({ name: 'billing' });
 * await km.rotator.setPolicy(key.id, { every: '30d', strategy: 'gradual', notifyBefore: '7d' });
 * const { token } = await km.rotator.rotate(key.id);
 * const report = await km.rotator.runDue();
 * km.rotator.start({ interval: '1m' });
 * ```
 */
export interface KeyRotator {
  /** Rotates now. API keys: returns the new token (show once). */
  rotate(target: RotationTarget, options?: RotateOptions): Promise<RotateResult>;
  /** Makes the newest live previous version current again (or discards a pending one). */
  rollback(
    target: RotationTarget,
    options?: { actor?: string; expectedRevision?: number },
  ): Promise<RotationRollbackResult>;
  /**
   * Sets (or with null clears) the policy; the next rotation is computed from now. With
   * `expectedRevision` (the record's revision you read) a stale one fails with `ERR_CONFLICT`.
   */
  setPolicy(
    target: RotationTarget,
    policy: RotationPolicyInput | null,
    options?: { actor?: string; expectedRevision?: number },
  ): Promise<RotationPolicyInfo | null>;
  /** The stored policy, or null. */
  getPolicy(target: RotationTarget): Promise<RotationPolicyInfo | null>;
  /** Records with work due within `within` (no writes). */
  due(options?: DueOptions): Promise<DueItem[]>;
  /** Does the due work once. Safe to run from many processes at once. */
  runDue(options?: RunDueOptions): Promise<RunDueReport>;
  /** Registers (or replaces) provider hooks for secrets with `provider: name`. */
  registerProvider(name: string, provider: RotationProvider): void;
  /** Runs `runDue` every `interval` on an unref'd timer. Calling it again restarts with the new options. */
  start(options?: StartOptions): void;
  /** Stops the timer; resolves when the run in flight (if any) has finished. */
  stop(): Promise<void>;
  /** Destroys the material of long-retired versions (metadata kept). */
  cleanup(options: CleanupOptions): Promise<CleanupReport>;
}
