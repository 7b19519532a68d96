/**
 * `keywarden keys ...`: API keys issued to your clients (create, list, show, update, revoke,
 * usage, delete, rotate, rollback, verify). Tokens are printed only by `create` and `rotate`, once.
 * @module
 */
import type { Command } from 'commander';
import type { UsageOptions } from '../records/usage-report.js';
import type { ApiKeyInfo, CreateApiKeyInput, UpdateApiKeyPatch } from '../store/api-key-types.js';
import type { CliContext, CliManager, CliRotator } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError, type Output, table, when } from './io.js';
import { allPages } from './pages.js';
import { date, int, jsonObject, list } from './parse.js';
import { readStdin } from './prompt.js';
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

  keys
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
    .option('--remaining <n>', 'usage credits')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
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
      if (ctx.environment !== undefined) input.environment = ctx.environment;
      const { token, key } = await ctx.withManager((km) => km.apiKeys.create(input));
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
        return allPages((cursor) => {
          const query: Parameters<CliManager['apiKeys']['list']>[0] = { limit: 1000 };
          if (cursor !== undefined) query.cursor = cursor;
          if (o.owner !== undefined) query.ownerId = o.owner;
          if (o.tenant !== undefined) query.tenantId = o.tenant;
          if (o.tag !== undefined) query.tag = o.tag;
          if (o.status !== undefined) query.status = o.status as ApiKeyInfo['status'];
          if (ctx.environment !== undefined) query.environment = ctx.environment;
          return km.apiKeys.list(query);
        });
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

  keys
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
    .action(async (id: string, o: Record<string, unknown>, cmd: Command) => {
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
      if (Object.keys(patch).length === 0) throw new CliError('ERR_USAGE', 'nothing to update', EXIT.USAGE);
      const key = await ctx.withManager((km) => km.apiKeys.update(id, patch));
      ctx.out.result(key, () => `updated API key ${key.id} (${key.name})`);
    });

  keys
    .command('revoke <id>')
    .description('revoke an API key (verify answers REVOKED)')
    .option('--reason <text>', 'recorded in the audit log')
    .action(async (id: string, o: { reason?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const key = await ctx.withManager((km) =>
        km.apiKeys.revoke(id, o.reason === undefined ? {} : { reason: o.reason }),
      );
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
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      await ctx.withManager((km) => km.apiKeys.delete(id));
      ctx.out.result({ id, deleted: true }, () => `deleted API key ${id}`);
    });

  keys
    .command('rotate <id>')
    .description('rotate an API key; prints the new token once')
    .option('--strategy <strategy>', 'immediate, overlap, gradual or blue-green')
    .option('--overlap <duration>', 'how long the old token stays valid (overlap strategy)')
    .action(async (id: string, o: { strategy?: string; overlap?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const options: Parameters<CliRotator['rotate']>[1] = {};
      if (o.strategy !== undefined) options.strategy = o.strategy as 'immediate';
      if (o.overlap !== undefined) options.overlap = o.overlap;
      const r = await ctx.withManager((km) => rotator(km).rotate(id, options));
      const token = r.token ?? null;
      ctx.out.result({ ...r, token }, () => token ?? `rotated ${id} to version ${r.version}`);
      ctx.out.info(
        `Rotated ${id} to version ${r.version} (${r.state}).${token ? ' The token above is shown only once.' : ''}`,
      );
    });

  keys
    .command('rollback <id>')
    .description('make the previous version current again')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const r = await ctx.withManager((km) => rotator(km).rollback(id));
      ctx.out.result(r, () => `rolled ${id} back to version ${r.version} (from ${r.fromVersion})`);
    });

  keys
    .command('verify [token]')
    .description('verify a token (argument, or stdin when omitted or "-"); exit 1 when invalid')
    .option('--scopes <list>', 'scopes the token must grant', list)
    .action(async (arg: string | undefined, o: { scopes?: string[] }, cmd: Command) => {
      const ctx = await context(cmd);
      const token = arg === undefined || arg === '-' ? await tokenFromStdin() : arg;
      const r = await ctx.withManager((km) => km.apiKeys.verify(token, o.scopes ? { scopes: o.scopes } : {}));
      printVerify(ctx.out, r);
      if (!r.valid) process.exitCode = EXIT.FAILED;
    });
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
    `created     ${when(k.createdAt)}`,
    `expires     ${when(k.expiresAt)}`,
    `remaining   ${k.remaining ?? '-'}`,
  ];
}
