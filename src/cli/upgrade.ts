/**
 * `keywarden upgrade [--dry-run]`: upgrades a store written by keywarden 0.1 (seals every record
 * with its MAC, then marks the store 0.2), with a progress line. Resumable: run it again after an
 * interruption. `--dry-run` counts what it would do and writes nothing.
 * @module
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { progressBar } from './progress.js';

/**
 * Registers `upgrade`.
 *
 * @example
 * ```ts
 * registerUpgrade(program, getContext);
 * ```
 * @throws never
 */
export function registerUpgrade(program: Command, context: (cmd: Command) => Promise<CliContext>): void {
  program
    .command('upgrade')
    .description('upgrade a store written by keywarden 0.1: seal every record with its MAC, then mark it 0.2')
    .option('--dry-run', 'count what would be done; write nothing')
    .action(async (o: { dryRun?: boolean }, cmd: Command) => {
      const ctx = await context(cmd);
      const bar = progressBar('upgrade', !ctx.out.quiet && !ctx.out.json);
      const report = await ctx.withManager(async (km) => {
        const plan = await km.upgrade({ dryRun: true });
        if (o.dryRun === true) return plan;
        const total = Math.max(plan.records, 1);
        bar.update(0, total);
        return km.upgrade({ onProgress: (done) => bar.update(Math.min(done, total), total) });
      });
      bar.done();
      ctx.out.result(report, () => {
        const verb = report.dryRun ? 'would seal' : 'sealed';
        const lines = [
          `${verb} ${report.upgraded} of ${report.records} record(s); ${report.alreadySealed} already sealed`,
          `${report.dryRun ? 'would seal again' : 'sealed again'} ${report.resealed} value(s) from the 0.1 envelope format`,
          `store format: ${report.from} -> ${report.to}`,
        ];
        for (const id of report.failed.slice(0, 20)) lines.push(`failed integrity check: ${id}`);
        return lines;
      });
      if (report.failed.length > 0) process.exitCode = EXIT.FAILED;
    });
}
