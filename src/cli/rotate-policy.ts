/**
 * Rotation policies from the command line: `keywarden rotate policy set|show|clear` and the
 * `--rotate-*` options of the create commands (`api-keys create`, `secrets set`,
 * `signing-keys create`).
 * @module
 */
import type { Command } from 'commander';
import type {
  KeyRotator,
  RotationPolicyInfo,
  RotationPolicyInput,
  RotationStrategy,
} from '../records/rotation-types.js';
import type { CliContext, CliManager } from './context.js';
import { EXIT } from './exit-codes.js';
import { fieldNames } from './field-names.js';
import { CliError, when } from './io.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

const STRATEGIES: readonly RotationStrategy[] = ['immediate', 'overlap', 'gradual', 'blue-green'];

/** Library policy fields and the `--rotate-*` options that give them. */
const CREATE_FIELDS = {
  rotation: '--rotate-every',
  'rotation.every': '--rotate-every',
  'rotation.cron': '--rotate-cron',
  'rotation.strategy': '--rotate-strategy',
  'rotation.overlap': '--rotate-overlap',
  'rotation.notifyBefore': '--notify-before',
};

/**
 * Adds `--rotate-every`, `--rotate-cron`, `--rotate-strategy`, `--rotate-overlap` and
 * `--notify-before` to a create command.
 *
 * @example
 * ```ts
 * policyOptions(program.command('create <name>'));
 * ```
 * @throws never
 */
export function policyOptions(cmd: Command): Command {
  fieldNames(cmd, CREATE_FIELDS);
  return cmd
    .option(
      '--rotate-every <every>',
      'rotation schedule: a duration (30d) or daily, weekly, monthly, quarterly, yearly',
    )
    .option('--rotate-cron <expr>', 'rotation schedule as a cron expression (UTC)')
    .option('--rotate-strategy <strategy>', `rotation strategy: ${STRATEGIES.join(', ')}`)
    .option('--rotate-overlap <duration>', 'how long the old version stays valid after a rotation')
    .option('--notify-before <duration>', 'send a notice this long before each scheduled rotation');
}

/**
 * The policy given by {@link policyOptions}' flags, or null when none was given.
 *
 * @example
 * ```ts
 * policyFromFlags({ rotateEvery: '30d' }); // { every: '30d' }
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) for an unknown strategy or options without a schedule.
 */
export function policyFromFlags(o: Record<string, unknown>): RotationPolicyInput | null {
  return buildPolicy(
    {
      every: o.rotateEvery,
      cron: o.rotateCron,
      strategy: o.rotateStrategy,
      overlap: o.rotateOverlap,
      promoteAfter: undefined,
      notifyBefore: o.notifyBefore,
    },
    { every: '--rotate-every', cron: '--rotate-cron', strategy: '--rotate-strategy' },
    false,
  );
}

function buildPolicy(
  v: Partial<Record<keyof RotationPolicyInput & string, unknown>>,
  flag: { every: string; cron: string; strategy: string },
  required: boolean,
): RotationPolicyInput | null {
  const policy: RotationPolicyInput = {};
  if (typeof v.every === 'string') policy.every = v.every as RotationPolicyInput['every'] & string;
  if (typeof v.cron === 'string') policy.cron = v.cron;
  if (typeof v.strategy === 'string') {
    if (!STRATEGIES.includes(v.strategy as RotationStrategy)) {
      throw new CliError(
        'ERR_VALIDATION',
        `${flag.strategy} must be one of ${STRATEGIES.join(', ')}`,
        EXIT.USAGE,
        flag.strategy,
      );
    }
    policy.strategy = v.strategy as RotationStrategy;
  }
  if (typeof v.overlap === 'string') policy.overlap = v.overlap;
  if (typeof v.promoteAfter === 'string') policy.promoteAfter = v.promoteAfter;
  if (typeof v.notifyBefore === 'string') policy.notifyBefore = v.notifyBefore;
  if (Object.keys(policy).length === 0) {
    if (!required) return null;
    throw new CliError('ERR_USAGE', `give ${flag.every} or ${flag.cron}`, EXIT.USAGE, flag.every);
  }
  if (policy.every !== undefined && policy.cron !== undefined) {
    throw new CliError(
      'ERR_USAGE',
      `${flag.every} and ${flag.cron} exclude each other`,
      EXIT.USAGE,
      flag.cron,
    );
  }
  if (policy.every === undefined && policy.cron === undefined) {
    throw new CliError(
      'ERR_USAGE',
      `a rotation policy needs ${flag.every} or ${flag.cron}`,
      EXIT.USAGE,
      flag.every,
    );
  }
  return policy;
}

/** Options naming the record a policy applies to. */
interface TargetOptions {
  secret?: string;
  signingKey?: string;
}

/**
 * The record id a `rotate policy` command acts on: an API key id (the argument), or a secret or
 * signing key by name in `--env`.
 *
 * @example
 * ```sh
 * keywarden rotate policy show --secret OPENAI_API_KEY --env production
 * ```
 * @throws CliError `ERR_USAGE` unless exactly one of ID, `--secret` and `--signing-key` is given;
 *   KeywardenError `ERR_NOT_FOUND` when the named record does not exist.
 */
async function targetId(
  km: CliManager,
  ctx: CliContext,
  id: string | undefined,
  o: TargetOptions,
): Promise<string> {
  const given = [id, o.secret, o.signingKey].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new CliError(
      'ERR_USAGE',
      'give one of ID (an API key), --secret NAME or --signing-key NAME',
      EXIT.USAGE,
      'ID',
    );
  }
  const env = ctx.environment === undefined ? {} : { environment: ctx.environment };
  if (o.secret !== undefined) return (await km.secrets.info(o.secret, env)).id;
  if (o.signingKey !== undefined) return (await km.keys.info(o.signingKey, env)).id;
  return id as string;
}

function describePolicy(p: RotationPolicyInfo | null): string[] {
  if (p === null) return ['no rotation policy'];
  return [
    `schedule      ${p.cron ?? p.schedule ?? (p.every === null ? '-' : `every ${p.every} ms`)}`,
    `strategy      ${p.strategy}`,
    `overlap       ${p.overlap} ms`,
    `notify before ${p.notifyBefore === null ? '-' : `${p.notifyBefore} ms`}`,
    `next rotation ${when(p.nextRotationAt)}`,
    `next notice   ${when(p.nextNoticeAt)}`,
    `last rotated  ${when(p.lastRotatedAt)}`,
  ];
}

const targetFlags = (cmd: Command): Command =>
  cmd
    .option('--secret <name>', 'the secret with this name (in --env)')
    .option('--signing-key <name>', 'the signing key with this name (in --env)');

/**
 * Registers `rotate policy set|show|clear` under the `rotate` command.
 *
 * @example
 * ```ts
 * registerRotatePolicy(program.command('rotate'), getContext);
 * ```
 * @throws never
 */
export function registerRotatePolicy(rotate: Command, context: Ctx): void {
  const policy = rotate.command('policy').description('rotation policies: set, show, clear');

  const set = targetFlags(
    policy
      .command('set [id]')
      .description('set the rotation policy of an API key (ID), a secret or a signing key')
      .option('--every <every>', 'a duration (30d) or daily, weekly, monthly, quarterly, yearly')
      .option('--cron <expr>', 'a cron expression (UTC)')
      .option('--strategy <strategy>', `${STRATEGIES.join(', ')} (default overlap)`)
      .option('--overlap <duration>', 'how long the old version stays valid')
      .option('--promote-after <duration>', 'gradual: how long the new version waits as pending')
      .option('--notify-before <duration>', 'send a notice this long before each rotation'),
  ).action(async (id: string | undefined, o: Record<string, unknown>, cmd: Command) => {
    const ctx = await context(cmd);
    const input = buildPolicy(
      {
        every: o.every,
        cron: o.cron,
        strategy: o.strategy,
        overlap: o.overlap,
        promoteAfter: o.promoteAfter,
        notifyBefore: o.notifyBefore,
      },
      { every: '--every', cron: '--cron', strategy: '--strategy' },
      true,
    );
    const info = await ctx.withManager(async (km) =>
      requireRotator(km).setPolicy(await targetId(km, ctx, id, o), input),
    );
    ctx.out.result(info, () => describePolicy(info));
  });
  fieldNames(set, { id: 'ID', policy: '--every' });

  const show = targetFlags(
    policy.command('show [id]').description('show the rotation policy and the next rotation'),
  ).action(async (id: string | undefined, o: TargetOptions, cmd: Command) => {
    const ctx = await context(cmd);
    const info = await ctx.withManager(async (km) =>
      requireRotator(km).getPolicy(await targetId(km, ctx, id, o)),
    );
    ctx.out.result(info, () => describePolicy(info));
  });
  fieldNames(show, { id: 'ID' });

  const clear = targetFlags(policy.command('clear [id]').description('remove the rotation policy')).action(
    async (id: string | undefined, o: TargetOptions, cmd: Command) => {
      const ctx = await context(cmd);
      await ctx.withManager(async (km) => requireRotator(km).setPolicy(await targetId(km, ctx, id, o), null));
      ctx.out.result({ policy: null }, () => 'rotation policy removed');
    },
  );
  fieldNames(clear, { id: 'ID' });
}

function requireRotator(km: CliManager): KeyRotator {
  const r = (km as { rotator?: KeyRotator }).rotator;
  if (r === undefined)
    throw new CliError('ERR_UNSUPPORTED', 'this keywarden build has no rotator', EXIT.FAILED);
  return r;
}
