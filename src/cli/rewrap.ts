/**
 * `keywarden rewrap`: after a master key rotation (`KEYWARDEN_MASTER_KEY` = the new key,
 * `KEYWARDEN_PREVIOUS_MASTER_KEYS` = the old ones), rewraps every data key and the pepper under the
 * new key without opening any value. Then the old key can be dropped.
 * @module
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { progressBar } from './progress.js';

/**
 * Registers `rewrap`.
 *
 * @example
 * ```ts
 * registerRewrap(program, getContext);
 * ```
 * @throws never
 */
export function registerRewrap(program: Command, context: (cmd: Command) => Promise<CliContext>): void {
  program
    .command('rewrap')
    .description('rewrap every data key under the current master key (after a master key rotation)')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const bar = progressBar('rewrap', !ctx.out.quiet && !ctx.out.json);
      const report = await ctx.withManager((km) => km.rewrap({ onProgress: bar.update }));
      bar.done();
      ctx.out.result(report, () => {
        const lines = [
          `rewrapped ${report.versions} version(s) in ${report.records} record(s)${report.pepper ? ' and the pepper' : ''}`,
        ];
        for (const f of report.failed) lines.push(`failed ${f.recordId} v${f.version}: ${f.code}`);
        if (report.failed.length === 0)
          lines.push('the previous master keys are no longer needed by this store');
        return lines;
      });
      if (report.failed.length > 0) process.exitCode = EXIT.FAILED;
    });
}
