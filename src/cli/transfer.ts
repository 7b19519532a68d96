/**
 * `keywarden export [FILE]` and `keywarden import FILE`: backup bundles as JSON or YAML (by the
 * file extension or `--format`), written atomically with mode 0600.
 * @module
 */
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { BackupView } from '../backup/index.js';
import { KeywardenError } from '../errors.js';
import type { CliContext } from './context.js';
import { readTextIfExists, writePrivateFile } from './dotenv-format.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';
import { progressBar } from './progress.js';
import { readStdin } from './prompt.js';

type Ctx = (cmd: Command) => Promise<CliContext>;
type Format = 'json' | 'yaml';

function pickFormat(file: string | undefined, flag: string | undefined): Format {
  if (flag !== undefined) {
    if (flag !== 'json' && flag !== 'yaml')
      throw new CliError('ERR_VALIDATION', '--format must be json or yaml', EXIT.USAGE);
    return flag;
  }
  const ext = file === undefined ? '' : extname(file).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? 'yaml' : 'json';
}

/**
 * Runs `fn` with the store's backup view (`km.backup`, or one built over the same store).
 *
 * @example
 * ```ts
 * const ctx = await getContext(cmd);
 * const bundle = await withBackup(ctx, (b) => b.export());
 * ```
 * @throws whatever opening the store or `fn` throws.
 */
export async function withBackup<T>(
  ctx: CliContext,
  fn: (backup: BackupView) => Promise<T>,
  options?: { create?: boolean },
): Promise<T> {
  return ctx.withManager((km) => fn(km.backup), options);
}

/**
 * Registers `export` and `import`.
 *
 * @example
 * ```ts
 * registerTransfer(program, getContext);
 * ```
 * @throws never
 */
export function registerTransfer(program: Command, context: Ctx): void {
  program
    .command('export [file]')
    .description('write a backup bundle (sealed; to stdout without FILE or with -)')
    .option('--format <format>', 'json or yaml (default: by extension, else json)')
    .option('--plaintext', 'open every secret and key into the bundle (to move to another master key)')
    .option('--no-audit', 'leave the audit log out')
    .action(
      async (
        file: string | undefined,
        o: { format?: string; plaintext?: boolean; audit: boolean },
        cmd: Command,
      ) => {
        const ctx = await context(cmd);
        const toStdout = file === undefined || file === '-';
        const format = pickFormat(toStdout ? undefined : file, o.format);
        if (o.plaintext === true) {
          ctx.out.warn(
            'a plaintext bundle holds every secret and private key in the clear; keep it like the master key',
          );
        }
        const bar = progressBar('export', !ctx.out.quiet && !ctx.out.json);
        const bundle = await withBackup(ctx, (b) =>
          b.export({ plaintext: o.plaintext === true, audit: o.audit, onProgress: bar.update }),
        );
        bar.done();
        const text = format === 'yaml' ? stringifyYaml(bundle) : `${JSON.stringify(bundle, null, 2)}\n`;
        if (toStdout) {
          process.stdout.write(text);
          return;
        }
        const path = resolve(file);
        await writePrivateFile(path, text);
        const summary = { file: path, format, plaintext: bundle.plaintext, records: bundle.records.length };
        ctx.out.result(
          summary,
          () => `exported ${bundle.records.length} record(s) to ${path} (${format}, mode 0600)`,
        );
      },
    );

  program
    .command('import <file>')
    .description('import a backup bundle (- reads stdin); validated whole before anything is written')
    .option('--format <format>', 'json or yaml (default: by extension, else json)')
    .option('--on-conflict <mode>', 'fail, skip or overwrite', 'fail')
    .option(
      '--create',
      "restore into a new store: the folder must be missing or empty; uses the configured master key (the backup's)",
    )
    .action(
      async (file: string, o: { format?: string; onConflict: string; create?: boolean }, cmd: Command) => {
        const ctx = await context(cmd);
        if (!['fail', 'skip', 'overwrite'].includes(o.onConflict)) {
          throw new CliError('ERR_VALIDATION', '--on-conflict must be fail, skip or overwrite', EXIT.USAGE);
        }
        const fromStdin = file === '-';
        const format = pickFormat(fromStdin ? undefined : file, o.format);
        const text = fromStdin ? await readStdin() : await readTextIfExists(resolve(file));
        if (text === null) throw new CliError('ERR_NOT_FOUND', `no such file: ${file}`, EXIT.NOT_FOUND);
        const bundle = parseText(text, format);
        const bar = progressBar('import', !ctx.out.quiet && !ctx.out.json);
        const report = await withBackup(
          ctx,
          (b) => b.import(bundle, { onConflict: o.onConflict as 'fail', onProgress: bar.update }),
          { create: o.create === true },
        );
        bar.done();
        ctx.out.result(report, () => {
          const lines = [
            `imported: ${report.created} created, ${report.overwritten} overwritten, ${report.skipped} skipped`,
          ];
          if (report.adoptedIdentity)
            lines.push("the store took the bundle's identity (store id and pepper)");
          if (report.adoptedPepper) lines.push("the store took the bundle's pepper (API keys stay valid)");
          return lines;
        });
      },
    );
}

function parseText(text: string, format: Format): unknown {
  try {
    return format === 'yaml' ? parseYaml(text, { maxAliasCount: 0 }) : JSON.parse(text);
  } catch {
    throw new KeywardenError('ERR_BACKUP', `invalid backup: the file is not valid ${format.toUpperCase()}`, {
      field: 'bundle',
    });
  }
}
