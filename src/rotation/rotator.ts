/**
 * `createRotator(ctx)`: the `km.rotator` part. See docs/rotation.md.
 * @module
 */
import { KeywardenError, validationError } from '../errors.js';
import { isPlainObject } from '../internal/parse-object.js';
import { parseInput } from '../internal/validate.js';
import type { StoreContext } from '../records/context.js';
import { policyInfo, readPolicy } from '../records/policy.js';
import type { KeyRotator, RotationProvider, RotationTarget } from '../records/rotation-types.js';
import { cleanupRetired } from './cleanup.js';
import { idSchema, rollbackNow, rotateNow, setPolicyNow } from './rotate.js';
import { listDue, runDueOnce } from './run-due.js';
import { createScheduler } from './scheduler.js';

export type * from '../records/rotation-types.js';

const PROVIDER_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The record id of a {@link RotationTarget}: an id as given, or the id of the secret or signing key
 * with that name (read through the storage guard, so its integrity is checked).
 */
async function targetId(ctx: StoreContext, target: RotationTarget): Promise<string> {
  if (typeof target === 'string') return target;
  if (!isPlainObject(target)) {
    throw validationError('target', 'must be an id or { secret: name } / { key: name }');
  }
  const t = target as Record<string, unknown>;
  const hasSecret = typeof t.secret === 'string';
  const hasKey = typeof t.key === 'string';
  if (hasSecret === hasKey) throw validationError('target', 'must name exactly one of secret or key');
  const name = (hasSecret ? t.secret : t.key) as string;
  const environment = t.environment ?? 'default';
  const tenantId = t.tenantId ?? null;
  if (typeof environment !== 'string' || environment === '') {
    throw validationError('target.environment', 'must be a non-empty string');
  }
  if (tenantId !== null && typeof tenantId !== 'string') {
    throw validationError('target.tenantId', 'must be a string or null');
  }
  if (name === '' || name.length > 256)
    throw validationError(hasSecret ? 'target.secret' : 'target.key', 'must be a name');
  await ctx.ready();
  const record = await ctx.storage.findByName(name, {
    kind: hasSecret ? 'secret' : 'key',
    environment,
    tenantId,
  });
  if (record === null) {
    throw new KeywardenError(
      'ERR_NOT_FOUND',
      `${hasSecret ? 'secret' : 'key'} not found in environment ${environment}`,
      {
        field: hasSecret ? 'target.secret' : 'target.key',
      },
    );
  }
  return record.id;
}

/**
 * Builds the rotator over a store context (the manager does this; you use `km.rotator`).
 *
 * @example
 * ```ts
 * const rotator = createRotator(ctx);
 * await rotator.setPolicy(id, { every: '30d', notifyBefore: '7d' });
 * rotator.registerProvider('stripe', { create: async () => 'rk_live_…' }); // a new key from the provider's API
 * rotator.start({ interval: '1m', onError: console.error });
 * ```
 * @throws never itself; each method documents its errors.
 */
export function createRotator(ctx: StoreContext): KeyRotator {
  const providers = new Map<string, RotationProvider>();
  // Made on first use, not at construction: Workers forbid `new AbortController()` in global
  // scope, where a manager is usually built.
  let controller: AbortController | null = null;
  const signal = (): AbortSignal => {
    controller ??= new AbortController();
    return controller.signal;
  };
  const runDue: KeyRotator['runDue'] = (options) => runDueOnce(ctx, providers, options, signal());
  const scheduler = createScheduler(
    (limit) => runDue({ limit }),
    () => {
      controller?.abort();
      controller = null;
    },
  );
  return Object.freeze({
    rotate: async (target, options) =>
      rotateNow(ctx, providers, await targetId(ctx, target), options, signal()),
    rollback: async (target, options) => rollbackNow(ctx, await targetId(ctx, target), options),
    setPolicy: async (target, policy, options) =>
      setPolicyNow(ctx, await targetId(ctx, target), policy, options),
    async getPolicy(target) {
      const rid = parseInput(idSchema, await targetId(ctx, target), 'id');
      await ctx.ready();
      const record = await ctx.storage.get(rid);
      const policy = record ? readPolicy(record) : null;
      return policy ? policyInfo(policy) : null;
    },
    due: (options) => listDue(ctx, options),
    runDue,
    registerProvider(name: string, provider: RotationProvider) {
      if (typeof name !== 'string' || !PROVIDER_NAME.test(name)) {
        throw validationError('name', 'must be 1-64 of [A-Za-z0-9_.:-]');
      }
      if (typeof provider !== 'object' || provider === null || typeof provider.create !== 'function') {
        throw validationError('provider.create', 'must be a function');
      }
      for (const hook of ['set', 'test', 'finish', 'revoke'] as const) {
        if (provider[hook] !== undefined && typeof provider[hook] !== 'function') {
          throw validationError(`provider.${hook}`, 'must be a function');
        }
      }
      providers.set(name, provider);
    },
    start: (options) => scheduler.start(options),
    stop: () => scheduler.stop(),
    cleanup: (options) => cleanupRetired(ctx, options),
  } satisfies KeyRotator);
}
