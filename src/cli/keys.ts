/**
 * `keywarden keys ...`: API keys issued to your clients (create, list, show, update, revoke,
 * usage, delete, rotate, rollback, verify). Tokens are printed only by `create` and `rotate`, once.
 * @module
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { UsageOptions } from '../records/usage-report.js';
import type { ApiKeyInfo, CreateApiKeyInput, UpdateApiKeyPatch } from '../store/api-key-types.js';
import { copyThenClear, loadClipboard } from './clipboard.js';
import type { CliContext, CliManager, CliRotator } from './context.js';
import { parseDotenv, readTextIfExists, updateDotenv, writePrivateFile } from './dotenv-format.js';
import { EXIT } from './exit-codes.js';
import { fieldNames } from './field-names.js';
import { CliError, type Output, table, when } from './io.js';
import { amountPer } from './limits.js';
import { collect } from './pages.js';
import { date, ifRevision, int, jsonObject, list } from './parse.js';
import { readStdin } from './prompt.js';
import { policyFromFlags, policyOptions } from './rotate-policy.js';

/** Library fields of limits and credits, and the flags that set them. */
const LIMIT_FIELDS = {
  ownerId: '--owner',
  tenantId: '--tenant',
  remaining: '--remaining',
  refill: '--refill',
  'refill.amount': '--refill',
  'refill.every': '--refill',
  rateLimit: '--rate-limit',
  'rateLimit.limit': '--rate-limit',
  'rateLimit.window': '--rate-limit',
  name: '--name',
};

const refillOf = (value: string) => {
  const { amount, every } = amountPer(value, '--refill');
  return { amount, every };
};
const rateLimitOf = (value: string) => {
  const { amount, every } = amountPer(value, '--rate-limit');
  return { limit: amount, window: every };
};

import { usageChart } from './usage-chart.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/**
 * Registers `keys` and its subcommands.
 *
 * @example
 * ```ts
 * registerKeys(program, getContext);
 * ```
 * @throws never
 */
export function registerKeys(program: Command, context: Ctx): void {
  // `keys` is the old name, kept as an alias for one minor version (deprecated)
  const keys = program
    .command('api-keys')
    .alias('keys')
    .description('API keys you issue to clients (alias: keys, deprecated)');

  const create = keys
    .command('create')
    .description('issue an API key; prints the token once')
    .requiredOption('-n, --name <name>', 'display name')
    .option('--prefix <prefix>', 'token prefix (default kw)')
    .option('--scopes <list>', 'comma-separated scopes', list)
    .option('--tags <list>', 'comma-separated tags', list)
    .option('--owner <id>', 'owner id')
    .option('--tenant <id>', 'tenant id')
    .option('--meta <json>', 'metadata (JSON object)')
    .option('--expires-in <duration>', 'lifetime, e.g. 30d (default 90d)')
    .option('--no-expiry', 'never expires')
    .option('--remaining <n>', 'usage credits (each verification uses one)')
    .option('--refill <amount/every>', 'top the credits up to AMOUNT every DURATION, e.g. 1000/1d')
    .option('--rate-limit <limit/window>', 'at most LIMIT verifications per WINDOW, e.g. 100/1m')
    .option('--write-env <file>', 'write the token into this .env file (mode 0600) instead of printing it')
    .option('--var <name>', 'the variable --write-env sets (default API_KEY)')
    .option('--force', 'with --write-env: replace the variable when the file already has it')
    .option('--copy', 'copy the token to the clipboard instead of printing it (cleared after 45 s)');
  policyOptions(create);
  fieldNames(create, LIMIT_FIELDS);
  create.action(async (o: Record<string, unknown>, cmd: Command) => {
    const ctx = await context(cmd);
    const input: CreateApiKeyInput = { name: o.name as string };
    if (o.prefix !== undefined) input.prefix = o.prefix as string;
    if (o.scopes !== undefined) input.scopes = o.scopes as string[];
    if (o.tags !== undefined) input.tags = o.tags as string[];
    if (o.owner !== undefined) input.ownerId = o.owner as string;
    if (o.tenant !== undefined) input.tenantId = o.tenant as string;
    if (o.meta !== undefined) input.meta = jsonObject(o.meta as string, '--meta');
    if (o.expiry === false) input.expiresIn = null;
    else if (o.expiresIn !== undefined) input.expiresIn = o.expiresIn as string;
    if (o.remaining !== undefined) input.remaining = int(o.remaining as string, '--remaining');
    if (o.refill !== undefined) input.refill = refillOf(o.refill as string);
    if (o.rateLimit !== undefined) input.rateLimit = rateLimitOf(o.rateLimit as string);
    const policy = policyFromFlags(o);
    if (policy !== null) input.rotation = policy;
    if (ctx.environment !== undefined) input.environment = ctx.environment;
    if (o.writeEnv !== undefined && o.copy === true) {
      throw new CliError('ERR_USAGE', '--write-env and --copy exclude each other', EXIT.USAGE, '--copy');
    }
    if (o.writeEnv !== undefined) {
      await createIntoEnvFile(
        ctx,
        input,
        o.writeEnv as string,
        (o.var as string | undefined) ?? 'API_KEY',
        o.force === true,
      );
      return;
    }
    if (o.var !== undefined || o.force === true) {
      throw new CliError(
        'ERR_USAGE',
        '--var and --force go with --write-env',
        EXIT.USAGE,
        o.var !== undefined ? '--var' : '--force',
      );
    }
    // checked before the key exists, so a missing clipboard leaves no key behind
    const clipboard = o.copy === true ? await loadClipboard(ctx.vars) : null;
    const { token, key } = await ctx.withManager((km) => km.apiKeys.create(input));
    if (clipboard !== null) {
      await copyThenClear(clipboard, token, `the token of ${key.id}`, (m) => process.stderr.write(`${m}\n`));
      ctx.out.result({ key, copied: true }, () => []);
      return;
    }
    ctx.out.result({ token, key }, () => token);
    ctx.out.info(
      `Created API key ${key.id} (${key.name}), expires ${when(key.expiresAt)}. The token above is shown only once.`,
    );
  });

  keys
    .command('list')
    .description('list API keys')
    .option('--owner <id>', 'only this owner')
    .option('--tenant <id>', 'only this tenant')
    .option('--status <status>', 'active, disabled, revoked or expired')
    .option('--tag <tag>', 'only keys with this tag')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const ctx = await context(cmd);
      const items = await ctx.withManager(async (km) => {
        const query: Parameters<CliManager['apiKeys']['list']>[0] = { limit: 1000 };
        if (o.owner !== undefined) query.ownerId = o.owner;
        if (o.tenant !== undefined) query.tenantId = o.tenant;
        if (o.tag !== undefined) query.tag = o.tag;
        if (o.status !== undefined) query.status = o.status as ApiKeyInfo['status'];
        if (ctx.environment !== undefined) query.environment = ctx.environment;
        return collect(km.apiKeys.iterate(query));
      });
      ctx.out.result(items, () =>
        items.length === 0
          ? 'no API keys'
          : table([
              ['ID', 'NAME', 'START', 'STATUS', 'EXPIRES', 'SCOPES'],
              ...items.map((k) => [k.id, k.name, k.start, k.status, when(k.expiresAt), k.scopes.join(',')]),
            ]),
      );
    });

  keys
    .command('show <id>')
    .description('show one API key')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const key = await ctx.withManager((km) => km.apiKeys.get(id));
      ctx.out.result(key, () => describeKey(key));
    });

  const update = keys
    .command('update <id>')
    .description('change an API key')
    .option('--name <name>', 'display name')
    .option('--scopes <list>', 'comma-separated scopes (replaces)', list)
    .option('--tags <list>', 'comma-separated tags (replaces)', list)
    .option('--owner <id>', 'owner id')
    .option('--meta <json>', 'metadata (JSON object, replaces)')
    .option('--expires-at <date>', 'ISO date or epoch ms')
    .option('--no-expiry', 'remove the expiry')
    .option('--disable', 'disable it (verify answers DISABLED)')
    .option('--enable', 'enable it again')
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .option('--remaining <n>', 'set the usage credits')
    .option('--unlimited', 'remove the credit limit (and any refill)')
    .option('--refill <amount/every>', 'top the credits up to AMOUNT every DURATION, e.g. 1000/1d')
    .option('--no-refill', 'stop refilling the credits')
    .option('--rate-limit <limit/window>', 'at most LIMIT verifications per WINDOW, e.g. 100/1m')
    .option('--no-rate-limit', 'remove the rate limit');
  fieldNames(update, LIMIT_FIELDS);
  update.action(async (id: string, o: Record<string, unknown>, cmd: Command) => {
    const ctx = await context(cmd);
    const patch: UpdateApiKeyPatch = {};
    if (o.name !== undefined) patch.name = o.name as string;
    if (o.scopes !== undefined) patch.scopes = o.scopes as string[];
    if (o.tags !== undefined) patch.tags = o.tags as string[];
    if (o.owner !== undefined) patch.ownerId = o.owner as string;
    if (o.meta !== undefined) patch.meta = jsonObject(o.meta as string, '--meta');
    if (o.expiry === false) patch.expiresAt = null;
    else if (o.expiresAt !== undefined) patch.expiresAt = date(o.expiresAt as string, '--expires-at');
    if (o.disable === true && o.enable === true) {
      throw new CliError('ERR_USAGE', '--disable and --enable exclude each other', EXIT.USAGE);
    }
    if (o.disable === true) patch.status = 'disabled';
    if (o.enable === true) patch.status = 'active';
    if (o.unlimited === true && o.remaining !== undefined) {
      throw new CliError(
        'ERR_USAGE',
        '--unlimited and --remaining exclude each other',
        EXIT.USAGE,
        '--unlimited',
      );
    }
    if (o.remaining !== undefined) patch.remaining = int(o.remaining as string, '--remaining');
    if (o.unlimited === true) {
      patch.remaining = null;
      patch.refill = null;
    }
    if (o.refill === false) patch.refill = null;
    else if (typeof o.refill === 'string') patch.refill = refillOf(o.refill);
    if (o.rateLimit === false) patch.rateLimit = null;
    else if (typeof o.rateLimit === 'string') patch.rateLimit = rateLimitOf(o.rateLimit);
    if (Object.keys(patch).length === 0) throw new CliError('ERR_USAGE', 'nothing to update', EXIT.USAGE);
    const condition = ifRevision(o.ifRevision as string | undefined);
    const key = await ctx.withManager((km) => km.apiKeys.update(id, patch, condition));
    ctx.out.result(key, () => `updated API key ${key.id} (${key.name})`);
  });

  keys
    .command('revoke <id>')
    .description('revoke an API key (verify answers REVOKED)')
    .option('--reason <text>', 'recorded in the audit log')
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .action(async (id: string, o: { reason?: string; ifRevision?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const options = {
        ...(o.reason === undefined ? {} : { reason: o.reason }),
        ...ifRevision(o.ifRevision),
      };
      const key = await ctx.withManager((km) => km.apiKeys.revoke(id, options));
      ctx.out.result(key, () => `revoked API key ${key.id} (${key.name})`);
    });

  keys
    .command('usage <id>')
    .description('valid and failed verifications per hour or day, as a terminal chart (--json: the report)')
    .option('--from <date>', 'start (ISO date or epoch ms); default: 24 buckets before --to')
    .option('--to <date>', 'end, exclusive (ISO date or epoch ms); default: now')
    .option('--granularity <g>', 'hour or day', 'hour')
    .action(async (id: string, o: { from?: string; to?: string; granularity: string }, cmd: Command) => {
      const ctx = await context(cmd);
      if (o.granularity !== 'hour' && o.granularity !== 'day') {
        throw new CliError('ERR_USAGE', '--granularity must be hour or day', EXIT.USAGE);
      }
      const options: UsageOptions = { granularity: o.granularity };
      if (o.from !== undefined) options.from = date(o.from, '--from');
      if (o.to !== undefined) options.to = date(o.to, '--to');
      const report = await ctx.withManager((km) => km.apiKeys.usage(id, options));
      ctx.out.result(report, () => usageChart(report));
    });

  keys
    .command('delete <id>')
    .description('delete an API key record (revoke keeps it for the audit trail)')
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .action(async (id: string, o: { ifRevision?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const condition = ifRevision(o.ifRevision);
      await ctx.withManager((km) => km.apiKeys.delete(id, condition));
      ctx.out.result({ id, deleted: true }, () => `deleted API key ${id}`);
    });

  keys
    .command('rotate <id>')
    .description('rotate an API key; prints the new token once')
    .option('--strategy <strategy>', 'immediate, overlap, gradual or blue-green')
    .option('--overlap <duration>', 'how long the old token stays valid (overlap strategy)')
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .action(
      async (id: string, o: { strategy?: string; overlap?: string; ifRevision?: string }, cmd: Command) => {
        const ctx = await context(cmd);
        const options: Parameters<CliRotator['rotate']>[1] = { ...ifRevision(o.ifRevision) };
        if (o.strategy !== undefined) options.strategy = o.strategy as 'immediate';
        if (o.overlap !== undefined) options.overlap = o.overlap;
        const r = await ctx.withManager((km) => rotator(km).rotate(id, options));
        const token = r.token ?? null;
        ctx.out.result({ ...r, token }, () => token ?? `rotated ${id} to version ${r.version}`);
        ctx.out.info(
          `Rotated ${id} to version ${r.version} (${r.state}).${token ? ' The token above is shown only once.' : ''}`,
        );
      },
    );

  keys
    .command('rollback <id>')
    .description('make the previous version current again')
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .action(async (id: string, o: { ifRevision?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const condition = ifRevision(o.ifRevision);
      const r = await ctx.withManager((km) => rotator(km).rollback(id, condition));
      ctx.out.result(r, () => `rolled ${id} back to version ${r.version} (from ${r.fromVersion})`);
    });

  keys
    .command('verify [token]')
    .description(
      'verify a token (argument, or stdin when omitted or "-"); exit 1 when invalid; with --env, a key of another environment is WRONG_ENVIRONMENT',
    )
    .option('--scopes <list>', 'scopes the token must grant', list)
    .action(async (arg: string | undefined, o: { scopes?: string[] }, cmd: Command) => {
      const ctx = await context(cmd);
      const token = arg === undefined || arg === '-' ? await tokenFromStdin() : arg;
      const r = await ctx.withManager((km) =>
        km.apiKeys.verify(token, {
          ...(o.scopes ? { scopes: o.scopes } : {}),
          // --env enforces the key's environment (a staging key fails with WRONG_ENVIRONMENT)
          ...(ctx.environment === undefined ? {} : { environment: ctx.environment }),
        }),
      );
      printVerify(ctx.out, r);
      if (!r.valid) process.exitCode = EXIT.FAILED;
    });
}

/**
 * `api-keys create --write-env FILE`: checks the file first, creates the key, writes the token into
 * FILE (atomic rename, mode 0600, other lines and comments kept). The token is never printed nor
 * stored; if the file cannot be written, the new key is deleted again so no key exists whose token
 * nobody holds.
 */
async function createIntoEnvFile(
  ctx: CliContext,
  input: CreateApiKeyInput,
  file: string,
  name: string,
  force: boolean,
): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new CliError(
      'ERR_VALIDATION',
      '--var must be a variable name (letters, digits, _)',
      EXIT.USAGE,
      '--var',
    );
  }
  const path = resolve(file);
  const before = await readTextIfExists(path).catch(() => {
    throw new CliError('ERR_VALIDATION', `--write-env: cannot read ${path}`, EXIT.USAGE, '--write-env');
  });
  if (!force && before !== null && parseDotenv(before).some((e) => e.key === name)) {
    throw new CliError(
      'ERR_ALREADY_EXISTS',
      `${path} already sets ${name}; use --force to replace it, or --var to choose another name`,
      EXIT.CONFLICT,
      '--var',
    );
  }
  const key = await ctx.withManager(async (km) => {
    const created = await km.apiKeys.create(input);
    try {
      await writePrivateFile(path, updateDotenv(before ?? '', { [name]: created.token }));
    } catch (error) {
      await km.apiKeys.delete(created.key.id).catch(() => undefined);
      throw new CliError(
        'ERR_STORAGE',
        `could not write ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); the key was not kept`,
        EXIT.STORAGE,
        '--write-env',
      );
    }
    return created.key;
  });
  ctx.out.result({ key, envFile: path, var: name }, () => `wrote ${name} to ${path} (mode 0600)`);
  ctx.out.info(
    `Created API key ${key.id} (${key.name}), expires ${when(key.expiresAt)}. The token is only in ${path}.`,
  );
}

async function tokenFromStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError('ERR_USAGE', 'give the token as an argument or on stdin', EXIT.USAGE);
  return (await readStdin(process.stdin, { maxBytes: 4096, what: 'the token' })).trim();
}

function printVerify(out: Output, r: Awaited<ReturnType<CliManager['apiKeys']['verify']>>): void {
  out.result(r, () =>
    r.valid
      ? `${out.style.ok('valid')} ${r.key.id} (${r.key.name}) version ${r.version}`
      : `${out.style.bad('invalid')} ${r.code}${r.key ? ` ${r.key.id} (${r.key.name})` : ''}`,
  );
}

/**
 * The rotator of a manager.
 *
 * @example
 * ```ts
 * await rotator(km).rotate(id);
 * ```
 * @throws CliError `ERR_UNSUPPORTED` when this build has no rotator.
 */
export function rotator(km: CliManager): CliRotator {
  if (!km.rotator) throw new CliError('ERR_UNSUPPORTED', 'this keywarden build has no rotator', EXIT.FAILED);
  return km.rotator;
}

function describeKey(k: ApiKeyInfo): string[] {
  return [
    `id          ${k.id}`,
    `name        ${k.name}`,
    `start       ${k.start}`,
    `status      ${k.status}${k.revokeReason ? ` (${k.revokeReason})` : ''}`,
    `environment ${k.environment}`,
    `owner       ${k.ownerId ?? '-'}`,
    `tenant      ${k.tenantId ?? '-'}`,
    `scopes      ${k.scopes.join(',') || '-'}`,
    `tags        ${k.tags.join(',') || '-'}`,
    `version     ${k.version}`,
    `revision    ${k.revision}`,
    `created     ${when(k.createdAt)}`,
    `expires     ${when(k.expiresAt)}`,
    `remaining   ${k.remaining ?? '-'}`,
    `refill      ${k.refill ? `${k.refill.amount} every ${k.refill.every} ms` : '-'}`,
    `rate limit  ${k.rateLimit ? `${k.rateLimit.limit} per ${k.rateLimit.window} ms` : '-'}`,
  ];
}
