/**
 * Provider rotations for secrets, AWS style: create → set → test → finish. The runner holding the
 * lease (`record.rotation.run`) runs one hook at a time and records the next step in the pending
 * version's `data.step` with a CAS write, so a process killed between steps is resumed by a later
 * run (after the lease ends) exactly where it stopped. Any hook failure discards the pending
 * version (state `retired`, material destroyed), keeps the current one, notifies `rotation.failed`
 * once, and schedules a retry with exponential backoff (1m, 2m, 4m … capped at 1h).
 * @internal
 * @module
 */
import { isKeywardenError, KeywardenError } from '../errors.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext, StoreState } from '../records/context.js';
import type { StoredPolicy } from '../records/policy.js';
import type { ProviderContext, RotationProvider } from '../records/rotation-types.js';
import { openSecretVersion } from '../store/secrets/versions.js';
import {
  LostLease,
  owned,
  type ProviderRunOptions,
  type ProviderRunResult,
  writeCreated,
  writeFailure,
  writeFinished,
  writeStep,
} from './provider-steps.js';

export { type ProviderRunOptions, type ProviderRunResult, retryDelay } from './provider-steps.js';
/** Longest value a provider may return (characters). */
export const MAX_PROVIDER_VALUE = 65_536;

const NEXT_STEP: Record<string, string> = { set: 'test', test: 'finish' };

function safeError(error: unknown, step: string): { code: string; message: string } {
  if (isKeywardenError(error)) return { code: error.code, message: error.message };
  const name = error instanceof Error && /^[A-Za-z]{1,64}$/.test(error.name) ? ` (${error.name})` : '';
  // a hook's own message may quote a credential: it is not copied into events
  return { code: 'ERR_ROTATION', message: `the provider's ${step} hook failed${name}` };
}

/**
 * Runs (or resumes) the provider rotation of a secret whose lease `owner` holds.
 *
 * @example
 * ```ts
 * declare const providers: ReadonlyMap<string, RotationProvider>;
 * declare const owner: string;
 * const r = await runProvider(ctx, state, providers, id, owner, { now: ctx.clock.now, signal, actor: null });
 * ```
 * @throws KeywardenError `ERR_AUDIT` when the failure itself cannot be audited, `ERR_STORAGE`.
 */
export async function runProvider(
  ctx: StoreContext,
  state: StoreState,
  providers: ReadonlyMap<string, RotationProvider>,
  id: string,
  owner: string,
  o: ProviderRunOptions,
): Promise<ProviderRunResult> {
  let step = 'create';
  let pendingValue: string | undefined;
  let base: Omit<ProviderContext, 'value' | 'currentValue'> | null = null;
  let provider: RotationProvider | undefined;
  try {
    for (;;) {
      const record = await ctx.storage.get(id);
      if (record?.kind !== 'secret') return { status: 'lost' };
      const policy = owned(record, owner);
      const run = policy.run as NonNullable<StoredPolicy['run']>;
      const pending = record.versions.find((v) => v.version === run.version && v.state === 'pending');
      step = pending ? String(pending.data['step'] ?? 'create') : 'create';
      base = {
        id: record.id,
        name: record.name,
        environment: record.environment,
        tenantId: record.tenantId,
        version: run.version,
        signal: o.signal,
      };
      provider = record.provider === null ? undefined : providers.get(record.provider);
      if (!provider) {
        throw new KeywardenError('ERR_ROTATION', `rotation provider "${record.provider}" is not registered`);
      }
      const currentValue = await readCurrent(ctx, state, record);
      if (step === 'create') {
        const value = await provider.create(withValues(base, undefined, currentValue));
        if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PROVIDER_VALUE) {
          throw new KeywardenError('ERR_ROTATION', 'the provider create hook must return a non-empty string');
        }
        pendingValue = value;
        await writeCreated(ctx, state, id, owner, value, record.provider as string, o);
        continue;
      }
      if (!pending) throw new KeywardenError('ERR_ROTATION', 'the pending version is missing');
      pendingValue = await openSecretVersion(ctx, state, record, pending);
      const hookCtx = withValues(base, pendingValue, currentValue);
      if (step === 'set') await provider.set?.(hookCtx);
      else if (step === 'test') {
        const verdict: unknown = await provider.test?.(hookCtx);
        if (verdict !== undefined && verdict !== true) {
          // "the new value does not work" said without a throw is still a rejection (fail closed)
          throw new KeywardenError('ERR_ROTATION', "the provider's test hook rejected the new value");
        }
      } else if (step === 'finish') await provider.finish?.(hookCtx);
      else throw new KeywardenError('ERR_ROTATION', 'the pending version has an unknown step');
      if (o.signal.aborted) return { status: 'interrupted' };
      if (step !== 'finish') {
        await writeStep(ctx, id, owner, run.version, step, NEXT_STEP[step] as string, o);
        continue;
      }
      return await writeFinished(ctx, id, owner, run.version, o);
    }
  } catch (error) {
    if (error instanceof LostLease) return { status: 'lost' };
    if (o.signal.aborted && !isKeywardenError(error)) return { status: 'interrupted' };
    const result = await writeFailure(ctx, id, owner, step, safeError(error, step), o);
    if (result.status === 'failed' && provider?.revoke && base && pendingValue !== undefined) {
      provider.revoke(withValues(base, pendingValue, undefined)).catch(() => undefined);
    }
    return result;
  }
}

function withValues(
  base: Omit<ProviderContext, 'value' | 'currentValue'>,
  value: string | undefined,
  currentValue: string | undefined,
): ProviderContext {
  const out: ProviderContext = { ...base };
  if (value !== undefined) out.value = value;
  if (currentValue !== undefined) out.currentValue = currentValue;
  return out;
}

async function readCurrent(
  ctx: StoreContext,
  state: StoreState,
  record: StoredRecord,
): Promise<string | undefined> {
  const current = record.versions.find((v) => v.state === 'current');
  if (!current || current.sealed === null) return undefined;
  return openSecretVersion(ctx, state, record, current);
}
