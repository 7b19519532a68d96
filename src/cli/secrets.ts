/**
 * `keywarden secrets ...`: third-party secrets you hold (set, get, list, versions, rollback, rm).
 * Values come from stdin or a hidden prompt; only `get` prints one.
 * @module
 */
import type { Command } from 'commander';
import { parseDuration } from '../duration.js';
import type { SetSecretOptions } from '../store/secret-types.js';
import { copyThenClear, loadClipboard } from './clipboard.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { fieldNames } from './field-names.js';
import { CliError, table, when } from './io.js';
import { collect } from './pages.js';
import { date, ifRevision, int, jsonObject, list } from './parse.js';
import { readSecretValue } from './prompt.js';
import { policyFromFlags, policyOptions } from './rotate-policy.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

const scope = (ctx: CliContext) => (ctx.environment === undefined ? {} : { environment: ctx.environment });

/**
 * Registers `secrets` and its subcommands.
 *
 * @example
 * ```ts
 * registerSecrets(program, getContext);
 * ```
 * @throws never
 */
export function registerSecrets(program: Command, context: Ctx): void {
  const secrets = program.command('secrets').description('secrets you hold (encrypted, versioned)');

  const set = secrets
    .command('set <name>')
    .description('store a secret (value from stdin, else a hidden prompt); a new version if it exists')
    .option('--value <value>', 'the value (visible in shell history: prefer stdin)')
    .option('--env-var <name>', 'environment variable name used by env/run')
    .option('--provider <name>', 'rotation provider')
    .option('--description <text>', 'description')
    .option('--tags <list>', 'comma-separated tags', list)
    .option('--meta <json>', 'metadata (JSON object)')
    .option(
      '--encoding <encoding>',
      'utf8 (default: stdin must be valid UTF-8) or base64 (store the bytes of stdin as base64)',
    )
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .option('--expires-at <date>', 'when the secret expires (ISO date or epoch ms); check-expiry reports it')
    .option('--expires-in <duration>', 'expires this long from now, e.g. 90d')
    .option('--no-expiry', 'never expires (removes an expiry set before)');
  policyOptions(set);
  fieldNames(set, { name: 'NAME', expiresAt: '--expires-at', envVar: '--env-var' });
  set.action(async (name: string, o: Record<string, unknown>, cmd: Command) => {
    const ctx = await context(cmd);
    const encoding = o.encoding ?? 'utf8';
    if (encoding !== 'utf8' && encoding !== 'base64') {
      throw new CliError('ERR_VALIDATION', '--encoding must be utf8 or base64', EXIT.USAGE);
    }
    const condition = ifRevision(o.ifRevision as string | undefined); // checked before reading stdin
    const value = await readSecretValue(o.value as string | undefined, name, ctx.out.warn, encoding);
    const options: SetSecretOptions = { ...scope(ctx), ...condition };
    if (o.envVar !== undefined) options.envVar = o.envVar as string;
    if (o.provider !== undefined) options.provider = o.provider as string;
    if (o.description !== undefined) options.description = o.description as string;
    if (o.tags !== undefined) options.tags = o.tags as string[];
    if (o.meta !== undefined) options.meta = jsonObject(o.meta as string, '--meta');
    const expiresAt = expiryOf(o);
    if (expiresAt !== undefined) options.expiresAt = expiresAt;
    const policy = policyFromFlags(o);
    if (policy !== null) options.rotation = policy;
    const info = await ctx.withManager((km) => km.secrets.set(name, value, options));
    ctx.out.result(info, () => `stored ${info.name} version ${info.version} (${info.environment})`);
  });

  secrets
    .command('get <name>')
    .description('print a secret value')
    .option('--version <n>', 'a specific version')
    .option('--copy', 'copy it to the clipboard instead of printing it (cleared after 45 s)')
    .action(async (name: string, o: { version?: string; copy?: boolean }, cmd: Command) => {
      const ctx = await context(cmd);
      const clipboard = o.copy === true ? await loadClipboard(ctx.vars) : null;
      const options =
        o.version === undefined ? scope(ctx) : { ...scope(ctx), version: int(o.version, '--version') };
      const value = await ctx.withManager((km) => km.secrets.get(name, options));
      if (clipboard !== null) {
        await copyThenClear(clipboard, value, name, (m) => process.stderr.write(`${m}\n`));
        ctx.out.result({ name, copied: true }, () => []);
        return;
      }
      ctx.out.result({ name, value }, () => value);
    });

  secrets
    .command('list')
    .description('list secrets (never their values)')
    .option('--tag <tag>', 'only secrets with this tag')
    .option('--provider <name>', 'only secrets of this provider')
    .action(async (o: { tag?: string; provider?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const items = await ctx.withManager(async (km) => {
        return collect(
          km.secrets.iterate({
            ...scope(ctx),
            limit: 1000,
            ...(o.tag === undefined ? {} : { tag: o.tag }),
            ...(o.provider === undefined ? {} : { provider: o.provider }),
          }),
        );
      });
      ctx.out.result(items, () =>
        items.length === 0
          ? 'no secrets'
          : table([
              ['NAME', 'ENV', 'VAR', 'VERSION', 'UPDATED', 'EXPIRES'],
              ...items.map((s) => [
                s.name,
                s.environment,
                s.envVar,
                String(s.version ?? '-'),
                when(s.updatedAt),
                when(s.expiresAt),
              ]),
            ]),
      );
    });

  secrets
    .command('versions <name>')
    .description('list the versions of a secret')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const versions = await ctx.withManager((km) => km.secrets.versions(name, scope(ctx)));
      ctx.out.result(versions, () =>
        table([
          ['VERSION', 'STATE', 'CREATED', 'VALUE'],
          ...versions.map((v) => [
            String(v.version),
            v.state,
            when(v.createdAt),
            v.hasValue ? 'kept' : 'destroyed',
          ]),
        ]),
      );
    });

  secrets
    .command('rollback <name>')
    .description('make an earlier version current again')
    .option('--to <n>', 'the version (default the previous one)')
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .action(async (name: string, o: { to?: string; ifRevision?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const options = {
        ...scope(ctx),
        ...(o.to === undefined ? {} : { to: int(o.to, '--to') }),
        ...ifRevision(o.ifRevision),
      };
      const r = await ctx.withManager((km) => km.secrets.rollback(name, options));
      ctx.out.result(r, () => `${name} is at version ${r.version} (was ${r.fromVersion ?? '-'})`);
    });

  secrets
    .command('rm <name>')
    .description('delete a secret and all its versions')
    .option(
      '--if-revision <n>',
      'change only the record at this revision (from show/info/list --json); else exit 6, nothing written',
    )
    .action(async (name: string, o: { ifRevision?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const options = { ...scope(ctx), ...ifRevision(o.ifRevision) };
      const deleted = await ctx.withManager((km) => km.secrets.delete(name, options));
      ctx.out.result({ name, deleted }, () => (deleted ? `deleted ${name}` : `${name} did not exist`));
      if (!deleted) process.exitCode = EXIT.NOT_FOUND;
    });
}

/** The expiry given by `--expires-at`, `--expires-in` or `--no-expiry` (undefined: none given). */
function expiryOf(o: Record<string, unknown>): number | null | undefined {
  const given = [o.expiresAt !== undefined, o.expiresIn !== undefined, o.expiry === false].filter(
    Boolean,
  ).length;
  if (given > 1) {
    throw new CliError(
      'ERR_USAGE',
      '--expires-at, --expires-in and --no-expiry exclude each other',
      EXIT.USAGE,
      '--expires-at',
    );
  }
  if (o.expiry === false) return null;
  if (typeof o.expiresAt === 'string') return date(o.expiresAt, '--expires-at');
  if (typeof o.expiresIn === 'string') return Date.now() + parseDuration(o.expiresIn, '--expires-in');
  return undefined;
}
