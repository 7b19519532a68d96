/**
 * `keywarden audit export --format csv|jsonl [--from DATE] [--to DATE] [--key ID] [--type TYPE]
 * [--out FILE]`: streams the audit log to stdout or a file, one page at a time (constant memory,
 * honouring back-pressure). With `--out`, the file appears only when complete (temp file, fsync,
 * rename; mode 0600).
 * @module
 */
import { once } from 'node:events';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { randomBase62 } from '../crypto/base62.js';
import type { AuditEventType } from '../ports/storage.js';
import type { AuditExportOptions } from '../store/audit-export.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';
import { date } from './parse.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

interface ExportFlags {
  format?: string;
  from?: string;
  to?: string;
  key?: string;
  type?: string;
  out?: string;
}

/** Writes every chunk to stdout, waiting for `drain` when its buffer is full. */
async function toStdout(chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}

/** Writes every chunk to `file` atomically: a temp file beside it, fsync, rename. */
async function toFile(chunks: AsyncIterable<string>, file: string): Promise<void> {
  const target = resolve(file);
  const temp = join(dirname(target), `.${basename(target)}.${randomBase62(8)}.partial`);
  const handle = await open(temp, 'wx', 0o600);
  let done = false;
  try {
    for await (const chunk of chunks) await handle.write(chunk);
    await handle.sync();
    await handle.close();
    await rename(temp, target);
    done = true;
  } finally {
    if (!done) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
    }
  }
}

/**
 * Registers `audit export` under the `audit` command.
 *
 * @example
 * ```ts
 * registerAuditExport(program.command('audit'), getContext);
 * ```
 * @throws never
 */
export function registerAuditExport(audit: Command, context: Ctx): void {
  audit
    .command('export')
    .description('stream the audit log as CSV (RFC 4180) or JSON Lines')
    .option('--format <format>', 'csv or jsonl (required)')
    .option('--from <date>', 'ISO date or epoch ms (inclusive)')
    .option('--to <date>', 'ISO date or epoch ms (exclusive)')
    .option('--key <id>', 'only events of this key or secret id')
    .option('--type <type>', 'only this event type, e.g. key.revoked')
    .option('--out <file>', 'write to this file (created 0600, complete or not at all) instead of stdout')
    .action(async (o: ExportFlags, cmd: Command) => {
      const ctx = await context(cmd);
      if (o.format !== 'csv' && o.format !== 'jsonl') {
        throw new CliError('ERR_USAGE', '--format must be csv or jsonl', EXIT.USAGE);
      }
      const options: AuditExportOptions = { format: o.format };
      if (o.from !== undefined) options.from = date(o.from, '--from');
      if (o.to !== undefined) options.to = date(o.to, '--to');
      if (o.key !== undefined) options.keyId = o.key;
      if (o.type !== undefined) options.type = o.type as AuditEventType;
      await ctx.withManager(async (km) => {
        const chunks = km.audit.export(options);
        if (o.out === undefined) await toStdout(chunks);
        else await toFile(chunks, o.out);
      });
      if (o.out !== undefined) ctx.out.info(`exported the audit log to ${o.out}`);
    });
}
