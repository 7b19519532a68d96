/**
 * `createRotator(ctx)`: the `km.rotator` part. See docs/rotation.md.
 * @module
 */
import { validationError } from '../errors.js';
import { parseInput } from '../internal/validate.js';
import type { StoreContext } from '../records/context.js';
import { policyInfo, readPolicy } from '../records/policy.js';
import type { KeyRotator, RotationProvider } from '../records/rotation-types.js';
import { cleanupRetired } from './cleanup.js';
import { idSchema, rollbackNow, rotateNow, setPolicyNow } from './rotate.js';
import { listDue, runDueOnce } from './run-due.js';
import { createScheduler } from './scheduler.js';

export type * from '../records/rotation-types.js';

const PROVIDER_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Builds the rotator over a store context (the manager does this; you use `km.rotator`).
 *
 * @example
 * ```ts
 * const rotator = createRotator(ctx);
 * await rotator.setPolicy(id, { every: '30d', notifyBefore: '7d' });
 * rotator.registerProvider('stripe', { create: async () => mintStripeKey() });
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
    rotate: (id, options) => rotateNow(ctx, providers, id, options, signal()),
    rollback: (id, options) => rollbackNow(ctx, id, options),
    setPolicy: (id, policy, options) => setPolicyNow(ctx, id, policy, options),
    async getPolicy(id) {
      const rid = parseInput(idSchema, id, 'id');
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
