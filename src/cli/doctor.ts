/**
 * `keywarden doctor`: checks the store's permissions, the master key, the integrity of every record
 * (each sealed value must open) and the audit chain. Exits with the code of the first failed check.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { fileStorage } from '../adapters/file.js';
import { isKeywardenError } from '../errors.js';
import { zeroize } from '../internal/bytes.js';
import { createStoreContext } from '../manager/store-context.js';
import { memoryRateLimiter } from '../rate-limit/memory.js';
import { openValue } from '../records/envelope.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { describeError } from './io.js';

/** One doctor check. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  code?: string;
  exitCode?: number;
}

/**
 * Registers `doctor`.
 *
 * @example
 * ```ts
 * registerDoctor(program, getContext);
 * ```
 * @throws never
 */
export function registerDoctor(program: Command, context: (cmd: Command) => Promise<CliContext>): void {
  program
    .command('doctor')
    .description('check permissions, master key, store integrity and the audit chain')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const checks = await runChecks(ctx);
      const failed = checks.find((c) => !c.ok);
      ctx.out.result({ ok: failed === undefined, checks }, () =>
        checks.map((c) =>
          c.ok
            ? `${ctx.out.style.ok('ok  ')} ${c.name}: ${c.detail}`
            : `${ctx.out.style.bad('FAIL')} ${c.name}: ${c.detail}`,
        ),
      );
      if (failed) process.exitCode = failed.exitCode ?? EXIT.FAILED;
    });
}

function fail(name: string, error: unknown): Check {
  const d = describeError(error);
  return { name, ok: false, detail: `${d.message} (${d.code})`, code: d.code, exitCode: d.exitCode };
}

async function runChecks(ctx: CliContext): Promise<Check[]> {
  const checks: Check[] = [];
  const perms = await checkPermissions(ctx.storeDir);
  checks.push(perms);
  if (!perms.ok) return checks;
  let kms: ReturnType<CliContext['kms']>;
  try {
    kms = ctx.kms();
    checks.push({ name: 'master key', ok: true, detail: `set (${kms.id} KMS)` });
  } catch (error) {
    checks.push(fail('master key', error));
    return checks;
  }
  const store = createStoreContext({
    storage: fileStorage({ dir: ctx.storeDir }),
    kms,
    clock: { now: () => Date.now() },
    options: { apiKeyPrefix: 'kw', expiresIn: null, verifications: 'none' },
    rateLimiter: memoryRateLimiter(),
  });
  try {
    let state: Awaited<ReturnType<typeof store.ready>>;
    try {
      state = await store.ready();
      checks.push({
        name: 'store opens',
        ok: true,
        detail: `store ${state.storeId}, the master key matches`,
      });
    } catch (error) {
      checks.push(fail('store opens', error));
      return checks;
    }
    checks.push(await checkRecords(store, state));
  } finally {
    await store.close().catch(() => undefined);
  }
  try {
    const chain = await ctx.withManager((km) => km.audit.verify());
    checks.push(
      chain.ok
        ? { name: 'audit chain', ok: true, detail: `${chain.count} events, intact` }
        : {
            name: 'audit chain',
            ok: false,
            detail: `broken at event ${chain.brokenAt}: ${chain.reason}`,
            code: 'ERR_AUDIT_CHAIN',
            exitCode: EXIT.FAILED,
          },
    );
  } catch (error) {
    checks.push(fail('audit chain', error));
  }
  return checks;
}

async function checkPermissions(dir: string): Promise<Check> {
  const name = 'permissions';
  try {
    const s = await stat(dir);
    if (!s.isDirectory())
      return {
        name,
        ok: false,
        detail: `${dir} is not a directory`,
        code: 'ERR_NO_STORE',
        exitCode: EXIT.STORAGE,
      };
    const open: string[] = [];
    if ((s.mode & 0o077) !== 0) open.push(dir);
    for (const entry of await readdir(dir)) {
      const m = await stat(join(dir, entry));
      if ((m.mode & 0o077) !== 0) open.push(entry);
    }
    if (open.length > 0) {
      return {
        name,
        ok: false,
        detail: `readable or writable by group/others: ${open.join(', ')} (chmod 700 the folder, 600 the files)`,
        code: 'ERR_INSECURE_PERMISSIONS',
        exitCode: EXIT.STORAGE,
      };
    }
    return { name, ok: true, detail: `${dir} is private (0700, files 0600)` };
  } catch {
    return {
      name,
      ok: false,
      detail: `no store at ${dir} (run \`keywarden init\`)`,
      code: 'ERR_NO_STORE',
      exitCode: EXIT.STORAGE,
    };
  }
}

async function checkRecords(
  store: ReturnType<typeof createStoreContext>,
  state: { storeId: string },
): Promise<Check> {
  let records = 0;
  let sealed = 0;
  const bad: string[] = [];
  try {
    let cursor: string | undefined;
    do {
      const page = await store.storage.list(cursor === undefined ? { limit: 500 } : { limit: 500, cursor });
      for (const r of page.items) {
        records += 1;
        for (const v of r.versions) {
          if (v.sealed === null) continue;
          sealed += 1;
          try {
            zeroize(
              await openValue(store, state, v.sealed, { recordId: r.id, version: v.version, kind: r.kind }),
            );
          } catch (error) {
            if (!isKeywardenError(error)) throw error;
            bad.push(`${r.id} v${v.version} (${error.code})`);
          }
        }
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  } catch (error) {
    return fail('store integrity', error);
  }
  if (bad.length > 0) {
    return {
      name: 'store integrity',
      ok: false,
      detail: `${bad.length} sealed value(s) do not open: ${bad.slice(0, 5).join(', ')}`,
      code: 'ERR_DECRYPT',
      exitCode: EXIT.MASTER_KEY,
    };
  }
  return { name: 'store integrity', ok: true, detail: `${records} records, ${sealed} sealed values open` };
}
