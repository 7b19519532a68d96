/**
 * Environments as profiles: `keywarden env list` (what each environment holds), `env copy FROM TO`
 * (secrets from one environment into another) and `env diff A B` (names and versions, never values).
 * @module
 */
import type { Command } from 'commander';
import type { SecretInfo } from '../store/secret-types.js';
import type { CliContext, CliManager } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError, table } from './io.js';
import { collect } from './pages.js';
import { list } from './parse.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/** What one environment holds. */
export interface EnvironmentCount {
  environment: string;
  secrets: number;
  apiKeys: number;
  signingKeys: number;
}

/** One line of `env diff`. */
export interface EnvironmentDiffLine {
  name: string;
  /** The current version in the first environment, or null when it has no such secret. */
  a: number | null;
  b: number | null;
  status: 'both' | 'only-a' | 'only-b';
}

async function secretsIn(km: CliManager, environment: string): Promise<SecretInfo[]> {
  return collect(km.secrets.iterate({ environment, limit: 1000 }));
}

/**
 * Counts secrets, API keys and signing keys per environment.
 *
 * @example
 * ```ts
 * await countEnvironments(km); // [{ environment: 'default', secrets: 2, apiKeys: 1, signingKeys: 0 }]
 * ```
 * @throws KeywardenError `ERR_STORAGE` when the store fails.
 */
export async function countEnvironments(km: CliManager): Promise<EnvironmentCount[]> {
  const counts = new Map<string, EnvironmentCount>();
  const bump = (environment: string, field: 'secrets' | 'apiKeys' | 'signingKeys') => {
    const c = counts.get(environment) ?? { environment, secrets: 0, apiKeys: 0, signingKeys: 0 };
    c[field]++;
    counts.set(environment, c);
  };
  for await (const s of km.secrets.iterate({ limit: 1000 })) bump(s.environment, 'secrets');
  for await (const k of km.apiKeys.iterate({ limit: 1000 })) bump(k.environment, 'apiKeys');
  for await (const k of km.keys.iterate({ limit: 1000 })) bump(k.environment, 'signingKeys');
  return [...counts.values()].sort((x, y) => x.environment.localeCompare(y.environment));
}

/**
 * Compares the secret names (and current versions) of two environments; reads no value.
 *
 * @example
 * ```ts
 * await diffEnvironments(km, 'staging', 'production');
 * ```
 * @throws KeywardenError `ERR_STORAGE` when the store fails.
 */
export async function diffEnvironments(km: CliManager, a: string, b: string): Promise<EnvironmentDiffLine[]> {
  const inA = new Map((await secretsIn(km, a)).map((s) => [s.name, s.version]));
  const inB = new Map((await secretsIn(km, b)).map((s) => [s.name, s.version]));
  const names = [...new Set([...inA.keys(), ...inB.keys()])].sort();
  return names.map((name) => {
    const va = inA.has(name) ? (inA.get(name) ?? null) : null;
    const vb = inB.has(name) ? (inB.get(name) ?? null) : null;
    const status = inA.has(name) && inB.has(name) ? 'both' : inA.has(name) ? 'only-a' : 'only-b';
    return { name, a: va, b: vb, status };
  });
}

/**
 * Registers `env list`, `env copy` and `env diff` under the existing `env` command.
 *
 * @example
 * ```ts
 * registerEnvProfiles(program, getContext); // after registerEnvRun
 * ```
 * @throws Error when `env` is not registered yet (a wiring bug).
 */
export function registerEnvProfiles(program: Command, context: Ctx): void {
  const env = program.commands.find((c) => c.name() === 'env');
  if (env === undefined) throw new Error('register env before its subcommands');

  env
    .command('list')
    .description('the environments in the store, with how many secrets, API keys and signing keys each holds')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const counts = await ctx.withManager(countEnvironments);
      ctx.out.result(counts, () =>
        counts.length === 0
          ? 'no environments yet'
          : table([
              ['ENVIRONMENT', 'SECRETS', 'API KEYS', 'SIGNING KEYS'],
              ...counts.map((c) => [
                c.environment,
                String(c.secrets),
                String(c.apiKeys),
                String(c.signingKeys),
              ]),
            ]),
      );
    });

  env
    .command('copy <from> <to>')
    .description('copy secrets from one environment to another (each a new version there when it exists)')
    .option('--names <list>', 'only these secrets (comma-separated)', list)
    .option('--overwrite', 'add a new version to secrets that already exist in TO (default: refuse)')
    .action(async (from: string, to: string, o: { names?: string[]; overwrite?: boolean }, cmd: Command) => {
      const ctx = await context(cmd);
      if (from === to)
        throw new CliError('ERR_USAGE', 'FROM and TO are the same environment', EXIT.USAGE, 'TO');
      const copied = await ctx.withManager(async (km) => {
        const source = await secretsIn(km, from);
        let chosen = source;
        if (o.names !== undefined) {
          const byName = new Map(source.map((s) => [s.name, s]));
          const missing = o.names.filter((n) => !byName.has(n));
          if (missing.length > 0) {
            throw new CliError(
              'ERR_NOT_FOUND',
              `not in environment ${from}: ${missing.join(', ')}`,
              EXIT.NOT_FOUND,
              '--names',
            );
          }
          chosen = o.names.map((n) => byName.get(n) as SecretInfo);
        }
        if (o.overwrite !== true) {
          const existing = new Set((await secretsIn(km, to)).map((s) => s.name));
          const clash = chosen.filter((s) => existing.has(s.name)).map((s) => s.name);
          if (clash.length > 0) {
            throw new CliError(
              'ERR_ALREADY_EXISTS',
              `already in environment ${to}: ${clash.join(', ')} (use --overwrite to add new versions)`,
              EXIT.CONFLICT,
              '--overwrite',
            );
          }
        }
        const done: { name: string; version: number | null }[] = [];
        for (const s of chosen) {
          const value = await km.secrets.get(s.name, { environment: from });
          const info = await km.secrets.set(s.name, value, {
            environment: to,
            envVar: s.envVar,
            tags: s.tags,
            meta: s.meta,
            ...(s.provider === null ? {} : { provider: s.provider }),
            ...(s.description === null ? {} : { description: s.description }),
            ...(s.expiresAt === null ? {} : { expiresAt: s.expiresAt }),
          });
          done.push({ name: info.name, version: info.version });
        }
        return done;
      });
      ctx.out.result({ from, to, copied }, () =>
        copied.length === 0
          ? `nothing to copy from ${from}`
          : [
              `copied ${copied.length} secret(s) from ${from} to ${to}:`,
              ...copied.map((c) => `  ${c.name} (version ${c.version})`),
            ],
      );
    });

  env
    .command('diff <a> <b>')
    .description('compare the secrets of two environments: names and versions, never values')
    .action(async (a: string, b: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const lines = await ctx.withManager((km) => diffEnvironments(km, a, b));
      const differ = lines.some((l) => l.status !== 'both');
      ctx.out.result({ a, b, same: !differ, secrets: lines }, () =>
        lines.length === 0
          ? `no secrets in ${a} or ${b}`
          : table([
              ['NAME', a.toUpperCase(), b.toUpperCase()],
              ...lines.map((l) => [l.name, l.a === null ? '-' : `v${l.a}`, l.b === null ? '-' : `v${l.b}`]),
            ]),
      );
      // like diff(1): 1 when the sets of names differ
      if (differ) process.exitCode = EXIT.FAILED;
    });
}
