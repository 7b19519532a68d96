/**
 * Public types of `km.secrets`.
 * @module
 */

import type { IterateQuery } from '../internal/iterate.js';
import type { JsonObject } from '../ports/json.js';
import type { RecordStatus, VersionState } from '../ports/storage.js';
import type { RotationPolicyInput } from '../records/rotation-types.js';

/** Where a secret lives: its environment (default `'default'`) and tenant (default none). */
export interface SecretScope {
  /** Default `'default'`. */
  environment?: string | undefined;
  /** Default: no tenant. */
  tenantId?: string | null | undefined;
}

/** Options of `km.secrets.set`. Omitted fields keep their stored value when the secret exists. */
export interface SetSecretOptions extends SecretScope {
  /** Name of the rotation provider that manages it (see `km.rotator.registerProvider`). */
  provider?: string | null | undefined;
  /** Environment variable name for `toEnv`; default: the name upper-cased, non-alphanumerics → `_`. */
  envVar?: string | null | undefined;
  /** Up to 32 distinct tags of 1–64 `[A-Za-z0-9_.:/-]` characters (filters of `list` and `toEnv`). */
  tags?: string[] | undefined;
  /** Your own JSON object kept with the secret (depth ≤ 8, ≤ 16 KiB as canonical JSON, finite numbers). */
  meta?: JsonObject | undefined;
  /** When the secret stops being readable (epoch ms or Date); `null` clears it. */
  expiresAt?: number | Date | null | undefined;
  /** Free text for people (at most 1024 characters; tab and newline allowed); `null` clears it. */
  description?: string | null | undefined;
  /**
   * Rotation policy (as `km.rotator.setPolicy` takes it). New secret: set at creation. Existing
   * secret: an object replaces the policy (schedule re-anchored now), `null` clears it, absent
   * leaves it. While the secret has a policy, the version a `set` demotes to `previous` stays
   * readable for the policy's `overlap` (without a policy: until the next `set`).
   */
  rotation?: RotationPolicyInput | null | undefined;
  /**
   * The `revision` you read (`info`, `list`, a previous `set`): the new version is written only on
   * that revision; if the secret changed meanwhile, or does not exist, `ERR_CONFLICT` (field
   * `expectedRevision`) and nothing is written.
   */
  expectedRevision?: number | undefined;
}

/** Options of `km.secrets.delete`. */
export interface DeleteSecretOptions extends SecretScope {
  /** Delete only on this `revision` (the one you read); else `ERR_CONFLICT`, nothing deleted. */
  expectedRevision?: number;
}

/** Options of `km.secrets.get`. */
export interface GetSecretOptions extends SecretScope {
  /** A specific version (current, previous or pending); default the current one. */
  version?: number | undefined;
  /** Who reads the value, recorded as the `secret.read` audit event's actor. */
  actor?: string | undefined;
}

/** Options of `km.secrets.list`. */
export interface ListSecretsOptions {
  /** Only secrets of this environment; absent: every environment. */
  environment?: string | undefined;
  /** Only secrets of this tenant; `null`: only secrets without a tenant; absent: every tenant. */
  tenantId?: string | null | undefined;
  /** Only secrets carrying this tag. */
  tag?: string | undefined;
  /** Only secrets managed by this rotation provider. */
  provider?: string | undefined;
  /** 1..1000, default 100. */
  limit?: number | undefined;
  /** The `cursor` of the previous page, to get the next one; absent: the first page. */
  cursor?: string | undefined;
}

/** Options of `km.secrets.rollback`. */
export interface RollbackSecretOptions extends SecretScope {
  /** The version to make current; default the `previous` one. */
  to?: number;
  /** Roll back only on this `revision` (the one you read); else `ERR_CONFLICT`, nothing written. */
  expectedRevision?: number;
}

/** Options of `km.secrets.toEnv`. */
export interface ToEnvOptions extends SecretScope {
  /** Only secrets with this tag. */
  tag?: string;
}

/** One version of a secret, without its value. */
export interface SecretVersionInfo {
  /** The version number: 1 for the first value, one more per `set` or rotation, never reused. */
  version: number;
  /**
   * `pending` (readable by version), `current` (what `get` returns), `previous` (readable by version
   * until its `retireAt`) or `retired` (not readable).
   */
  state: VersionState;
  /** When the version was written (epoch ms). */
  createdAt: number;
  /** When it became current (epoch ms), or null while pending or if it never did. */
  activatedAt: number | null;
  /** When it was retired (epoch ms), or null. */
  retiredAt: number | null;
  /** True when its sealed value still exists (the 10 newest versions keep theirs). */
  hasValue: boolean;
  /** When its sealed value was destroyed, or null. */
  destroyedAt: number | null;
}

/** What `km.secrets` returns about a secret. Never holds the value. */
export interface SecretInfo {
  /** The record id (12 base62 characters); rotator methods also take it. */
  id: string;
  /** The secret's name, unique within its environment and tenant. */
  name: string;
  /** The secret's environment. */
  environment: string;
  /** The secret's tenant, or null. */
  tenantId: string | null;
  /**
   * `active` until the rotator marks it `expired` after `expiresAt` (past its `expiresAt` the value
   * is not readable, marked or not); a later `set` with a future or no `expiresAt` makes it active again.
   */
  status: RecordStatus;
  /** The rotation provider whose hooks make its new values, or null. */
  provider: string | null;
  /** The environment variable `toEnv` uses. */
  envVar: string;
  /** Free text given to `set`, or null. */
  description: string | null;
  /** Tags for filtering `list` and `toEnv` (empty when none). */
  tags: string[];
  /** Your own JSON object given to `set` (`{}` when none). */
  meta: JsonObject;
  /** When the secret was created (epoch ms). */
  createdAt: number;
  /** When the record last changed (epoch ms). */
  updatedAt: number;
  /** When the secret stops being readable (epoch ms), or null when never. */
  expiresAt: number | null;
  /** The current version number, or null when none is current. */
  version: number | null;
  /** Number of versions (including destroyed ones). */
  versionCount: number;
  /** Compare-and-swap revision of the record: pass it as `expectedRevision` to a later change. */
  revision: number;
}

/** A page of secrets. */
export interface SecretList {
  /** The secrets of this page (never their values). */
  items: SecretInfo[];
  /** Pass it as `cursor` to get the next page; absent on the last page. */
  cursor?: string;
}

/** What `rollback` did. */
export interface SecretRollbackResult {
  /** The secret's info after the rollback. */
  secret: SecretInfo;
  /** The version that is current now. */
  version: number;
  /** The version that was current before. */
  fromVersion: number | null;
}

/** @deprecated Use {@link SecretRollbackResult}; removed in the next minor version. */
export type RollbackResult = SecretRollbackResult;

/**
 * `km.secrets`: third-party credentials you hold, encrypted, versioned and retrievable.
 *
 * @example
 * ```ts
 * await km.secrets.set('OPENAI_API_KEY', 'sk-...', { environment: 'production', provider: 'openai' });
 * const key = await km.secrets.get('OPENAI_API_KEY', { environment: 'production' });
 * ```
 */
export interface SecretsView {
  /** Creates the secret, or adds a new current version. */
  set(name: string, value: string | Uint8Array, options?: SetSecretOptions): Promise<SecretInfo>;
  /** The value (current version by default). Audited as `secret.read`; fails closed. */
  get(name: string, options?: GetSecretOptions): Promise<string>;
  /**
   * The secret's info: versions, provider, expiry (never the value; not audited as a read).
   *
   * @example
   * ```ts
   * const { version, versionCount } = await km.secrets.info('OPENAI_API_KEY');
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_STORAGE`.
   */
  info(name: string, options?: SecretScope): Promise<SecretInfo>;
  /**
   * One page of secrets (never their values); follow `cursor` (or use `iterate`).
   *
   * @example
   * ```ts
   * const { items } = await km.secrets.list({ environment: 'production', provider: 'openai' });
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the option, `ERR_STORAGE`.
   */
  list(options?: ListSecretsOptions): Promise<SecretList>;
  /**
   * Every secret matching the options, one page at a time (the filters of `list`; a `cursor` resumes; `signal` stops the
   * walk, rejecting with `signal.reason`).
   *
   * @example
   * ```ts
   * for await (const s of km.secrets.iterate({ environment: 'production' })) console.log(s.name);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field (on the first `next()`),
   *   `ERR_STORAGE`, `ERR_CLOSED`; `signal.reason` once aborted.
   */
  iterate(options?: IterateQuery<ListSecretsOptions>): AsyncIterableIterator<SecretInfo>;
  /**
   * Every version, oldest first, with its state (never the values).
   *
   * @example
   * ```ts
   * const versions = await km.secrets.versions('OPENAI_API_KEY');
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_STORAGE`.
   */
  versions(name: string, options?: SecretScope): Promise<SecretVersionInfo[]>;
  /**
   * Makes an older version current again (the previous one by default, or `to`). Audited.
   *
   * @example
   * ```ts
   * const { version, fromVersion } = await km.secrets.rollback('OPENAI_API_KEY');
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (no such live version), `ERR_AUDIT`,
   *   `ERR_STORAGE`.
   */
  rollback(name: string, options?: RollbackSecretOptions): Promise<SecretRollbackResult>;
  /** True if it existed. With `expectedRevision`, a changed secret is `ERR_CONFLICT`. */
  delete(name: string, options?: DeleteSecretOptions): Promise<boolean>;
  /** Current values of every active secret of the environment, keyed by env var. Audited per secret. */
  toEnv(options?: ToEnvOptions): Promise<Record<string, string>>;
}
