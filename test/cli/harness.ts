/**
 * Runs the real `keywarden` CLI (src/cli/main.ts through tsx) in a temp folder with a clean
 * environment, and captures stdout, stderr and the exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateMasterKey } from '../../src/kms/index.js';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');
/** `--import` value that loads tsx from the repository whatever the cwd. */
export const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = join(ROOT, 'src/cli/main.ts');

/** What a run printed and returned. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link kw}. */
export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Written to stdin (stdin is a pipe, so never a TTY). */
  input?: string;
}

/** A clean environment: PATH and HOME only, no colours. */
export function baseEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };
}

/** Spawns a node process with tsx and the given script + args. */
export function runNode(script: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, script, ...args], {
      cwd: options.cwd,
      env: { ...baseEnv(options.cwd), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `keywarden ...args`. */
export function kw(args: string[], options: RunOptions): Promise<RunResult> {
  return runNode(MAIN, args, options);
}

/**
 * Writes `dir/name`: a script that opens the CLI's file store (`.keywarden` in its cwd, master key
 * from `KEYWARDEN_MASTER_KEY`) as `km` through the library's own source, then runs `body`. The one
 * place that knows where the library's modules live. `prelude` runs before the manager is built
 * (e.g. `const past = ...`), `clock` is the expression of its clock option.
 */
export async function writeLibraryScript(
  dir: string,
  name: string,
  body: string,
  options: { prelude?: string; clock?: string } = {},
): Promise<string> {
  const mod = (p: string) => pathToFileURL(join(ROOT, p)).href;
  const clock = options.clock === undefined ? '' : `, clock: ${options.clock}`;
  const script = join(dir, name);
  await writeFile(
    script,
    `import { fileStorage } from '${mod('src/adapters/file.ts')}';
import { localKms } from '${mod('src/kms/index.ts')}';
import { createKeyManager } from '${mod('src/manager/key-manager.ts')}';
${options.prelude ?? ''}
const km = createKeyManager({ storage: fileStorage({ dir: '.keywarden' }), kms: localKms({ masterKey: process.env.KEYWARDEN_MASTER_KEY })${clock} });
${body}`,
  );
  return script;
}

/** A fresh temp folder and its cleanup. */
export async function tempDir(prefix = 'kw-cli-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A store folder made by `keywarden init` under a fresh master key, and a runner bound to both. */
export interface InitializedStore {
  readonly dir: string;
  readonly env: Record<string, string>;
  /** Runs the CLI in `dir` with `env` (and `input` on stdin when given). */
  run(args: string[], input?: string): Promise<RunResult>;
  cleanup(): Promise<void>;
}

/**
 * A fresh temp folder with a store initialized in it by the CLI itself (`keywarden init`); throws
 * (and removes the folder) when init fails.
 */
export async function initializedStore(): Promise<InitializedStore> {
  const { dir, cleanup } = await tempDir();
  const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
  const run = (args: string[], input?: string): Promise<RunResult> =>
    kw(args, { cwd: dir, env, ...(input === undefined ? {} : { input }) });
  const init = await run(['init']);
  if (init.code !== 0) {
    await cleanup();
    throw new Error(`keywarden init failed (exit ${init.code}): ${init.stderr}`);
  }
  return { dir, env, run, cleanup };
}

/** Asserts the one-line error format (and no stack trace). */
export function oneLineError(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (stderr.includes('    at ')) throw new Error(`stack trace printed:\n${stderr}`);
  return last;
}
