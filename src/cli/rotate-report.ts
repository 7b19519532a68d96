/**
 * `keywarden rotate report [--since 30d] [--within 0] [--limit N] [--json]`: what rotated and what
 * failed in the window, and what is due, per record kind (`rotationReport` from
 * `keywarden/observability`). Read-only. Exit 1 when a rotation failed in the window.
 * @module
 */
import type { Command } from 'commander';
import { parseDuration } from '../duration.js';
import { type RotationReport, rotationReport } from '../observability/rotation-report.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { table, when } from './io.js';
import { int } from './parse.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/** The human text of a report. */
function render(r: RotationReport, since: string): string[] {
  const lines = [`rotation report: ${when(r.since)} to ${when(r.until)} (last ${since})`, ''];
  lines.push(
    ...table([
      ['KIND', 'ROTATED', 'FAILED', 'DUE'],
      ...Object.entries(r.byKind).map(([kind, c]) => [
        kind,
        String(c.rotated),
        String(c.failed),
        String(c.due),
      ]),
    ]),
  );
  if (r.rotated.length > 0) {
    lines.push('', 'rotated:');
    lines.push(
      ...table([
        ['AT', 'KIND', 'ID', 'VERSION', 'STRATEGY', 'BY'],
        ...r.rotated.map((x) => [
          when(x.at),
          x.kind ?? '-',
          x.id,
          `${x.previousVersion ?? '-'} -> ${x.version ?? '-'}`,
          x.strategy ?? '-',
          x.manual ? (x.actor ?? 'manual') : 'schedule',
        ]),
      ]),
    );
  }
  if (r.failed.length > 0) {
    lines.push('', 'failed:');
    lines.push(
      ...table([
        ['AT', 'KIND', 'ID', 'STEP', 'CODE', 'ATTEMPT', 'NEXT'],
        ...r.failed.map((f) => [
          when(f.at),
          f.kind ?? '-',
          f.id,
          f.step ?? '-',
          f.code ?? '-',
          String(f.attempt ?? '-'),
          f.nextAttemptAt === null ? '-' : when(f.nextAttemptAt),
        ]),
      ]),
    );
  }
  if (r.due.length > 0) {
    lines.push('', 'due:');
    lines.push(
      ...table([
        ['KIND', 'ID', 'NAME', 'ENV', 'DUE AT', 'ACTIONS'],
        ...r.due.map((d) => [
          d.kind,
          d.id,
          d.name,
          d.environment,
          d.dueAt === null ? '-' : when(d.dueAt),
          d.actions.map((a) => a.type).join(','),
        ]),
      ]),
    );
  }
  if (r.truncated) lines.push('', '(lists cut at --limit; counts are complete)');
  return lines;
}

/**
 * Registers `report` under the `rotate` command.
 *
 * @example
 * ```ts
 * declare const rotateCommand: Command;
 * registerRotateReport(rotateCommand, getContext);
 * ```
 * @throws never
 */
export function registerRotateReport(rotate: Command, context: Ctx): void {
  rotate
    .command('report')
    .description('what rotated, failed and is due, per kind; exit 1 when a rotation failed')
    .option('--since <duration>', 'how far back to look', '30d')
    .option('--within <duration>', 'look-ahead for due work', '0s')
    .option('--limit <n>', 'most entries per list (counts stay complete)', '1000')
    .action(async (o: { since: string; within: string; limit: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const since = parseDuration(o.since, '--since');
      const within = parseDuration(o.within, '--within');
      const limit = int(o.limit, '--limit');
      const report = await ctx.withManager((km) => rotationReport(km, { since, within, limit }));
      ctx.out.result(report, () => render(report, o.since));
      if (report.failed.length > 0) process.exitCode = EXIT.FAILED;
    });
}
