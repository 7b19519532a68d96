/**
 * `keywarden rotate --due [--dry-run]` (run every rotation, promotion, retirement and expiry that is
 * due), `keywarden rotate report` (`./rotate-report.ts`) and `keywarden check-expiry --within 30d`
 * (list what expires soon; exit 1 when anything does).
 * @module
 */

import type { Command } from 'commander';
import { parseDuration } from '../duration.js';
import type { RecordKind, StoredRecord } from '../ports/storage.js';
import type { CliContext, CliManager } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError, table, when } from './io.js';
import { rotator } from './keys.js';
import { int } from './parse.js';
import { progressBar } from './progress.js';
import { registerRotatePolicy } from './rotate-policy.js';
import { registerRotateReport } from './rotate-report.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/** One record that expires within the window. */
export interface Expiring {
  kind: RecordKind;
  id: string;
  name: string;
  environment: string;
  expiresAt: number;
  expired: boolean;
}

/**
 * Registers `rotate`, `rotate report` and `check-expiry`.
 *
 * @example
 * ```ts
 * registerRotate(program, getContext);
 * ```
 * @throws never
 */
export function registerRotate(program: Command, context: Ctx): void {
  const rotate = program.command('rotate');
  registerRotateReport(rotate, context);
  registerRotatePolicy(rotate, context);
  rotate
    .description('run due rotations, promotions, retirements and expiries')
    .option('--due', 'everything that is due now (required)')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--limit <n>', 'most records handled (default 100)')
    .action(async (o: { due?: boolean; dryRun?: boolean; limit?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      if (o.due !== true) {
        throw new CliError('ERR_USAGE', 'say --due (rotate one key with `api-keys rotate ID`)', EXIT.USAGE);
      }
      const bar = progressBar('rotate', !ctx.out.quiet && !ctx.out.json);
      const report = await ctx.withManager(async (km) => {
        bar.update(0, 1);
        const r = await rotator(km).runDue({
          dryRun: o.dryRun === true,
          ...(o.limit === undefined ? {} : { limit: int(o.limit, '--limit') }),
        });
        bar.update(1, 1);
        return r;
      });
      bar.done();
      ctx.out.result(report, () => {
        if (o.dryRun === true) {
          if (report.planned.length === 0) return 'nothing is due';
          return table([
            ['ID', 'KIND', 'NAME', 'ACTIONS'],
            ...report.planned.map((p) => [p.id, p.kind, p.name, p.actions.map((a) => a.type).join(',')]),
          ]);
        }
        const lines = [
          `rotated ${report.rotated.length}, promoted ${report.promoted.length}, retired ${report.retired.length}, expired ${report.expired.length}, notified ${report.notified.length}, failed ${report.failed.length}`,
        ];
        for (const f of report.failed) lines.push(`failed ${f.id}: ${f.code}`);
        return lines;
      });
      if (report.failed.length > 0) process.exitCode = EXIT.FAILED;
    });

  program
    .command('check-expiry')
    .description('list keys and secrets that expire soon; exit 1 when any does')
    .option('--within <duration>', 'look-ahead window', '30d')
    .action(async (o: { within: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const within = parseDuration(o.within, '--within');
      const found = await ctx.withManager((km) => findExpiring(km, Date.now() + within, ctx.environment));
      ctx.out.result(found, () =>
        found.length === 0
          ? `nothing expires within ${o.within}`
          : table([
              ['KIND', 'ID', 'NAME', 'ENV', 'EXPIRES'],
              ...found.map((f) => [
                f.kind,
                f.id,
                f.name,
                f.environment,
                `${when(f.expiresAt)}${f.expired ? ' (expired)' : ''}`,
              ]),
            ]),
      );
      if (found.length > 0) process.exitCode = EXIT.FAILED;
    });
}

async function findExpiring(
  km: CliManager,
  before: number,
  environment: string | undefined,
): Promise<Expiring[]> {
  const out: Expiring[] = [];
  const now = Date.now();
  const consider = (
    kind: Expiring['kind'],
    r: Pick<StoredRecord, 'id' | 'name' | 'environment' | 'expiresAt' | 'status'>,
  ) => {
    if (r.expiresAt === null || r.expiresAt > before || r.status === 'revoked') return;
    out.push({
      kind,
      id: r.id,
      name: r.name,
      environment: r.environment,
      expiresAt: r.expiresAt,
      expired: r.expiresAt <= now,
    });
  };
  const env = environment === undefined ? {} : { environment };
  const query = { ...env, limit: 1000 };
  for await (const k of km.apiKeys.iterate(query)) consider('api_key', k);
  for await (const s of km.secrets.iterate(query)) consider('secret', s);
  for await (const k of km.keys.iterate(query)) consider('key', k);
  return out.sort((a, b) => a.expiresAt - b.expiresAt);
}
