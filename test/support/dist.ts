/**
 * The built package (dist/) for the tests that check what users install: the runtime matrix, the
 * bundle budgets and the tarball. CI builds before `npm test`; from a fresh clone (or after a
 * source change) `ensureDist()` builds it once, whichever test file asks first, under a lock
 * folder so parallel test files never run two builds into the same dist/.
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..');
const DIST_ENTRY = join(ROOT, 'dist', 'index.js');
const LOCK = join(ROOT, '.tmp', 'dist-build.lock');
/** A lock older than this was left by a killed run. */
const STALE_LOCK_MS = 10 * 60_000;

async function newestSourceMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? await newestSourceMtime(path) : (await stat(path)).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

async function isCurrent(): Promise<boolean> {
  if (!existsSync(DIST_ENTRY)) return false;
  const built = statSync(DIST_ENTRY).mtimeMs;
  const sources = Math.max(
    await newestSourceMtime(join(ROOT, 'src')),
    statSync(join(ROOT, 'tsup.config.ts')).mtimeMs,
    statSync(join(ROOT, 'package.json')).mtimeMs,
  );
  return built >= sources;
}

/**
 * Builds dist/ with tsup when it is missing or older than src/, tsup.config.ts or package.json.
 *
 * @example
 * ```ts
 * beforeAll(ensureDist, 300_000);
 * ```
 * @throws when the build fails (its output is in the error).
 */
export async function ensureDist(): Promise<void> {
  await mkdir(join(ROOT, '.tmp'), { recursive: true });
  for (;;) {
    const lock = await stat(LOCK).catch(() => null);
    if (lock !== null && Date.now() - lock.mtimeMs < STALE_LOCK_MS) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue; // another test file is building: wait for it to finish
    }
    if (lock !== null) await rm(LOCK, { recursive: true, force: true }); // left by a killed run
    if (await isCurrent()) return;
    try {
      await mkdir(LOCK);
    } catch {
      continue; // another test file took the lock first
    }
    try {
      if (!(await isCurrent())) {
        await run(join(ROOT, 'node_modules', '.bin', 'tsup'), [], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
      }
      return;
    } finally {
      await rm(LOCK, { recursive: true, force: true });
    }
  }
}
