/**
 * `keywarden doctor`: checks the store's permissions, the master key, the integrity of every record
 * (each sealed value must open) and the audit chain. Exits with the code of the first failed check.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { capabilityContext } from '../extension/index.js';
import type { StoreCheckReport } from '../manager/check.js';
import { findUnauditedApiKeys } from '../store/api-keys/unaudited.js';
import type { CliContext, CliManager } from './context.js';
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
    .option('--repair', 'revoke active API keys whose key.created audit event never committed')
    .action(async (o: { repair?: boolean }, cmd: Command) => {
      const ctx = await context(cmd);
      const checks = await runChecks(ctx, o.repair === true);
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

async function runChecks(ctx: CliContext, repair: boolean): Promise<Check[]> {
  const checks: Check[] = [];
  if (ctx.target.kind === 'file') {
    const perms = await checkPermissions(ctx.target.dir);
    checks.push(perms);
    if (!perms.ok) return checks;
  } else {
    checks.push({ name: 'store', ok: true, detail: `${ctx.target.kind} ${ctx.target.label}` });
  }
  try {
    const kms = ctx.kms();
    checks.push({ name: 'master key', ok: true, detail: `set (${kms.id} KMS)` });
    await kms.close?.();
  } catch (error) {
    checks.push(fail('master key', error));
    return checks;
  }
  try {
    await ctx.withManager(async (km) => {
      const state = await capabilityContext(km).ready();
      checks.push({
        name: 'store opens',
        ok: true,
        detail: `store ${state.storeId}, the master key matches`,
      });
      checks.push(await checkRecords(km));
      checks.push(await checkUnaudited(km, repair));
    });
  } catch (error) {
    checks.push(fail('store opens', error));
    return checks;
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

async function checkUnaudited(km: CliManager, repair: boolean): Promise<Check> {
  const name = 'audited API keys';
  try {
    const ids = await findUnauditedApiKeys(capabilityContext(km).storage);
    if (ids.length === 0) return { name, ok: true, detail: 'every active API key has its key.created event' };
    if (repair) {
      for (const id of ids) await km.apiKeys.revoke(id, { reason: 'unaudited', actor: 'keywarden-doctor' });
      return {
        name,
        ok: true,
        detail: `revoked ${ids.length} API key(s) without a key.created event: ${ids.join(', ')}`,
      };
    }
    return {
      name,
      ok: false,
      detail: `${ids.length} active API key(s) without a key.created event (a create interrupted before its audit committed): ${ids.slice(0, 5).join(', ')}; run \`keywarden doctor --repair\` to revoke them`,
      code: 'ERR_AUDIT',
      exitCode: EXIT.FAILED,
    };
  } catch (error) {
    return fail(name, error);
  }
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
    const entries = await readdir(dir);
    if (!entries.some((e) => e === 'store' || e === 'log' || e === 'snapshot')) {
      // never create one here: an empty folder is not a healthy store
      return {
        name,
        ok: false,
        detail: `no store at ${dir} (run \`keywarden init\`)`,
        code: 'ERR_NO_STORE',
        exitCode: EXIT.STORAGE,
      };
    }
    const open: string[] = [];
    if ((s.mode & 0o077) !== 0) open.push(dir);
    for (const entry of entries) {
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

async function checkRecords(km: CliManager): Promise<Check> {
  let report: StoreCheckReport;
  try {
    report = await km.check();
  } catch (error) {
    return fail('store integrity', error);
  }
  const legacy = report.problems.filter((p) => p.reason === 'legacy-envelope');
  if (legacy.length > 0) {
    const list = legacy.slice(0, 5).map((p) => `${p.recordId} v${p.version}`);
    return {
      name: 'store integrity',
      ok: false,
      detail: `${legacy.length} value(s) still in the 0.1 envelope format (no labels bound): ${list.join(', ')}; run \`keywarden upgrade\``,
      code: 'ERR_DECRYPT',
      exitCode: EXIT.FAILED,
    };
  }
  const sealed = report.problems.filter((p) => p.reason === 'sealed');
  if (sealed.length > 0) {
    const list = sealed.slice(0, 5).map((p) => `${p.recordId} v${p.version} (${p.code})`);
    return {
      name: 'store integrity',
      ok: false,
      detail: `${sealed.length} sealed value(s) do not open: ${list.join(', ')}`,
      code: 'ERR_DECRYPT',
      exitCode: EXIT.MASTER_KEY,
    };
  }
  const tampered = report.problems.filter((p) => p.reason === 'integrity' || p.reason === 'rolled-back');
  if (tampered.length > 0) {
    const list = tampered
      .slice(0, 5)
      .map(
        (p) =>
          `${p.recordId} (${p.reason === 'integrity' ? 'MAC fails' : 'active again after its revocation'})`,
      );
    return {
      name: 'store integrity',
      ok: false,
      detail: `${tampered.length} record(s) altered in the store: ${list.join(', ')}`,
      code: 'ERR_INTEGRITY',
      exitCode: EXIT.FAILED,
    };
  }
  if (report.problems.length > 0) {
    const list = report.problems.slice(0, 5).map((p) => p.recordId);
    return {
      name: 'store integrity',
      ok: false,
      detail: `${report.problems.length} record(s) do not parse: ${list.join(', ')}`,
      code: 'ERR_INVALID_STATE',
      exitCode: EXIT.STORAGE,
    };
  }
  if (report.format === 'missing' || report.format === 'invalid') {
    return {
      name: 'store integrity',
      ok: false,
      detail: `the store format marker is ${report.format} (deleted or altered in the store)`,
      code: 'ERR_INTEGRITY',
      exitCode: EXIT.FAILED,
    };
  }
  const pending =
    report.format === '0.1-pending' ? '; written by keywarden 0.1: run `keywarden upgrade`' : '';
  return {
    name: 'store integrity',
    ok: true,
    detail: `${report.records} records pass their MAC, ${report.sealed} sealed values open${pending}; keep an audit checkpoint outside the store (\`keywarden audit checkpoint --out FILE\`): without one a cut of the last audit events is not detected`,
  };
}
