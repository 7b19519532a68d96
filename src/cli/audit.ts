/**
 * `keywarden audit list|verify|checkpoint|export`: read the hash-chained audit log, check it end to
 * end (against a signed checkpoint kept outside the store, `--checkpoint`), and
 * export it (`./audit-export.ts`).
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { KeywardenError } from '../errors.js';
import type { AuditEvent } from '../ports/storage.js';
import type { AuditCheckpoint, AuditListQuery } from '../store/api-key-types.js';
import { registerAuditExport } from './audit-export.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { table, when } from './io.js';
import { date, int } from './parse.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/**
 * Registers `audit list`, `audit verify` and `audit export`.
 *
 * @example
 * ```ts
 * registerAudit(program, getContext);
 * ```
 * @throws never
 */
export function registerAudit(program: Command, context: Ctx): void {
  const audit = program.command('audit').description('the tamper-evident audit log');

  audit
    .command('list')
    .description('list audit events, oldest first')
    .option('--key <id>', 'only events of this key or secret id')
    .option('--type <type>', 'only this event type, e.g. key.revoked')
    .option('--since <date>', 'ISO date or epoch ms (inclusive)')
    .option('--until <date>', 'ISO date or epoch ms (exclusive)')
    .option('--limit <n>', 'most events (default 100)', '100')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const ctx = await context(cmd);
      const limit = int(o.limit ?? '100', '--limit');
      const query: AuditListQuery = {};
      if (o.key !== undefined) query.keyId = o.key;
      if (o.type !== undefined) query.type = o.type as AuditEvent['type'];
      if (o.since !== undefined) query.since = date(o.since, '--since');
      if (o.until !== undefined) query.until = date(o.until, '--until');
      const events = await ctx.withManager(async (km) => {
        const all: AuditEvent[] = [];
        let cursor: string | undefined;
        do {
          const page = await km.audit.list({
            ...query,
            limit: Math.max(1, Math.min(1000, limit - all.length)),
            ...(cursor === undefined ? {} : { cursor }),
          });
          all.push(...page.items);
          cursor = page.cursor;
        } while (cursor !== undefined && all.length < limit);
        return all.slice(0, limit);
      });
      ctx.out.result(events, () =>
        events.length === 0
          ? 'no events'
          : table([
              ['SEQ', 'AT', 'TYPE', 'KEY', 'VERSION', 'ACTOR'],
              ...events.map((e) => [
                String(e.seq),
                when(e.at),
                e.type,
                e.keyId ?? '-',
                e.version === null ? '-' : String(e.version),
                e.actor ?? '-',
              ]),
            ]),
      );
    });

  audit
    .command('checkpoint')
    .description('verify the chain and print its signed head; keep it outside the store')
    .option('--out <file>', 'write the checkpoint (JSON) to this file instead of stdout')
    .action(async (o: { out?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const c = await ctx.withManager((km) => km.audit.checkpoint());
      if (o.out !== undefined) {
        await writeFile(o.out, `${JSON.stringify(c)}\n`, { mode: 0o600 });
        ctx.out.result(c, () => `checkpoint at event ${c.seq} written to ${o.out}`);
      } else {
        ctx.out.result(c, () => JSON.stringify(c));
      }
    });

  audit
    .command('verify')
    .description('check the hash chain; exit 1 when it is broken')
    .option(
      '--checkpoint <file>',
      'also check the log still reaches this checkpoint (from `audit checkpoint`)',
    )
    .action(async (o: { checkpoint?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      let checkpoint: AuditCheckpoint | undefined;
      if (o.checkpoint !== undefined) {
        try {
          checkpoint = JSON.parse(await readFile(o.checkpoint, 'utf8')) as AuditCheckpoint;
        } catch (cause) {
          throw new KeywardenError('ERR_VALIDATION', 'checkpoint: the file cannot be read as JSON', {
            field: 'checkpoint',
            cause,
          });
        }
      }
      const r = await ctx.withManager((km) =>
        checkpoint === undefined ? km.audit.verify() : km.audit.verify({ checkpoint }),
      );
      ctx.out.result(r, () =>
        r.ok
          ? `${ctx.out.style.ok('ok')}: ${r.count} events, head ${r.headHash}`
          : `${ctx.out.style.bad('broken')} at event ${r.brokenAt}: ${r.reason} (${r.count} events checked)`,
      );
      if (!r.ok) process.exitCode = EXIT.FAILED;
    });

  registerAuditExport(audit, context);
}
