/**
 * Bad input gives one line `keywarden: <message> (<CODE>)` and a documented exit code, never a
 * stack trace.
 */
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { kw, oneLineError, tempDir } from './harness.js';

const T = 120_000;
let dir: string;
let cleanup: () => Promise<void>;
const masterKey = generateMasterKey();
const env = { KEYWARDEN_MASTER_KEY: masterKey };
const run = (args: string[], extra: Record<string, string> = env, input?: string) =>
  kw(args, { cwd: dir, env: extra, ...(input === undefined ? {} : { input }) });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const r = await run(['init']);
  if (r.code !== 0) throw new Error(r.stderr);
}, T);
afterAll(() => cleanup());

describe('usage errors (exit 2)', () => {
  it('unknown command, unknown option, missing argument, bad duration, bad value', {
    timeout: T,
  }, async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /^keywarden: unknown command 'frobnicate' \(ERR_USAGE\)$/],
      [['keys', 'list', '--bogus'], /^keywarden: unknown option '--bogus' \(ERR_USAGE\)$/],
      [['secrets', 'get'], /^keywarden: missing required argument 'name' \(ERR_USAGE\)$/],
      [['keys', 'create'], /^keywarden: required option '-n, --name <name>' not specified \(ERR_USAGE\)$/],
      [
        ['keys', 'create', '--name', 'a', '--expires-in', '3 fortnights'],
        /^keywarden: --expires-in .*\(ERR_VALIDATION\)$/,
      ],
      [['check-expiry', '--within', 'soon'], /^keywarden: --within must look like .*\(ERR_VALIDATION\)$/],
      [
        ['keys', 'create', '--name', 'a', '--meta', '[1]'],
        /^keywarden: --meta must be a JSON object \(ERR_VALIDATION\)$/,
      ],
      [['env', '--format', 'xml'], /^keywarden: --format must be dotenv, shell or json \(ERR_VALIDATION\)$/],
      [['rotate'], /^keywarden: say --due .*\(ERR_USAGE\)$/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach((r, i) => {
      const [args, pattern] = cases[i] as [string[], RegExp];
      expect(r.code, args.join(' ')).toBe(EXIT.USAGE);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(oneLineError(r.stderr), args.join(' ')).toMatch(pattern);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
  });

  it('an empty secret value from stdin is refused', { timeout: T }, async () => {
    const r = await run(['secrets', 'set', 'EMPTY'], env, '');
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toBe('keywarden: the secret value is empty (ERR_USAGE)\n');
  });

  it('--help and --version exit 0', { timeout: T }, async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok');
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe('store and key errors', () => {
  it('not found exits 3', { timeout: T }, async () => {
    const [secret, key] = await Promise.all([
      run(['secrets', 'get', 'NOPE']),
      run(['keys', 'show', 'AAAAAAAAAAAA']),
    ]);
    expect(secret.code).toBe(EXIT.NOT_FOUND);
    expect(oneLineError(secret.stderr)).toBe('keywarden: secret not found (ERR_NOT_FOUND)');
    expect(key.code).toBe(EXIT.NOT_FOUND);
  });

  it('a wrong, missing or malformed master key exits 4', { timeout: T }, async () => {
    const [wrong, missing, malformed] = await Promise.all([
      run(['secrets', 'list'], { KEYWARDEN_MASTER_KEY: generateMasterKey() }),
      run(['secrets', 'list'], {}),
      run(['secrets', 'list'], { KEYWARDEN_MASTER_KEY: 'not-a-key' }),
    ]);
    expect(wrong.code).toBe(EXIT.MASTER_KEY);
    expect(oneLineError(wrong.stderr)).toMatch(/another master key.*\(ERR_MASTER_KEY_MISMATCH\)$/);
    expect(missing.code).toBe(EXIT.MASTER_KEY);
    expect(oneLineError(missing.stderr)).toMatch(
      /no master key: set KEYWARDEN_MASTER_KEY.*\(ERR_NO_MASTER_KEY\)$/,
    );
    expect(malformed.code).toBe(EXIT.MASTER_KEY);
    expect(oneLineError(malformed.stderr)).toMatch(
      /^keywarden: KEYWARDEN_MASTER_KEY is malformed: .*\(ERR_VALIDATION\)$/,
    );
    expect(malformed.stderr).not.toContain('not-a-key');
    for (const r of [wrong, missing, malformed]) expect(r.stderr).not.toContain(masterKey);
  });

  it('a missing store exits 5', { timeout: T }, async () => {
    const r = await run(['--store', join(dir, 'nowhere'), 'secrets', 'list']);
    expect(r.code).toBe(EXIT.STORAGE);
    expect(oneLineError(r.stderr)).toMatch(
      /no store at .*nowhere \(run `keywarden init` first\) \(ERR_NO_STORE\)$/,
    );
  });

  it('no command creates a store: an empty folder is ERR_NO_STORE (doctor included) and stays empty', {
    timeout: T,
  }, async () => {
    const empty = join(dir, 'empty-store');
    await mkdir(empty, { mode: 0o700 });
    for (const args of [['doctor'], ['secrets', 'list'], ['keys', 'list'], ['export'], ['audit', 'verify']]) {
      const r = await run(['--store', empty, ...args]);
      expect(r.code, args.join(' ')).toBe(EXIT.STORAGE);
      expect(`${r.stdout}${r.stderr}`, args.join(' ')).toMatch(/no store at .*empty-store/);
      expect(r.stdout, args.join(' ')).not.toMatch(/all ok/i);
    }
    expect(await readdir(empty)).toEqual([]);
  });

  it('a store whose log was deleted next to its snapshot exits 5 with ERR_INTEGRITY, doctor too', {
    timeout: T,
  }, async () => {
    const victim = await tempDir();
    try {
      const at = (args: string[], input?: string) =>
        kw(args, { cwd: victim.dir, env, ...(input === undefined ? {} : { input }) });
      expect((await at(['init'])).code).toBe(0);
      expect((await at(['secrets', 'set', 'A'], 'one')).code).toBe(0);
      // the attacker removes the log: the store must not pass as an empty, healthy one
      await rm(join(victim.dir, '.keywarden', 'log'));
      const list = await at(['secrets', 'list']);
      expect(list.code).toBe(EXIT.STORAGE);
      expect(oneLineError(list.stderr)).toMatch(/the log is missing.*\(ERR_INTEGRITY\)$/);
      const doctor = await at(['doctor']);
      expect(doctor.code).toBe(EXIT.STORAGE);
      expect(doctor.stdout).toMatch(/FAIL store opens: .*\(ERR_INTEGRITY\)/);
    } finally {
      await victim.cleanup();
    }
  });

  it('a corrupt store file exits 5 with one line, and doctor reports it', { timeout: T }, async () => {
    const broken = await tempDir();
    try {
      const at = (args: string[]) => kw(args, { cwd: broken.dir, env });
      expect((await at(['init'])).code).toBe(0);
      await writeFile(join(broken.dir, '.keywarden', 'log'), 'garbage\n{not json\n');
      const r = await at(['secrets', 'list']);
      expect(r.code).toBe(EXIT.STORAGE);
      expect(oneLineError(r.stderr)).toMatch(/^keywarden: .*\(ERR_STORAGE\)$/);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      const doctor = await at(['doctor']);
      expect(doctor.code).toBe(EXIT.STORAGE);
      expect(doctor.stdout).toMatch(/FAIL store opens: .*\(ERR_STORAGE\)/);
    } finally {
      await broken.cleanup();
    }
  });

  it('a store open to group or others is refused (exit 5) and doctor says how to fix it', {
    timeout: T,
  }, async () => {
    const open = await tempDir();
    try {
      const at = (args: string[]) => kw(args, { cwd: open.dir, env });
      expect((await at(['init'])).code).toBe(0);
      await chmod(join(open.dir, '.keywarden'), 0o755);
      const r = await at(['secrets', 'list']);
      expect(r.code).toBe(EXIT.STORAGE);
      expect(oneLineError(r.stderr)).toMatch(/\(ERR_INSECURE_PERMISSIONS\)$/);
      const doctor = await at(['doctor']);
      expect(doctor.code).toBe(EXIT.STORAGE);
      expect(doctor.stdout).toMatch(/FAIL permissions: readable or writable by group\/others: .*chmod 700/);
    } finally {
      await open.cleanup();
    }
  });

  it('a bad backup names the path of the problem and writes nothing (exit 1)', { timeout: T }, async () => {
    await writeFile(
      join(dir, 'bad.json'),
      JSON.stringify({ format: 'keywarden-backup', version: 1, records: 'x' }),
    );
    await writeFile(join(dir, 'notjson.json'), '{');
    const [bad, notJson, absent] = await Promise.all([
      run(['import', 'bad.json']),
      run(['import', 'notjson.json']),
      run(['import', 'absent.json']),
    ]);
    expect(bad.code).toBe(EXIT.FAILED);
    expect(oneLineError(bad.stderr)).toMatch(/^keywarden: invalid backup: bundle\.\w+ .*\(ERR_BACKUP\)$/);
    expect(notJson.code).toBe(EXIT.FAILED);
    expect(oneLineError(notJson.stderr)).toBe(
      'keywarden: invalid backup: the file is not valid JSON (ERR_BACKUP)',
    );
    expect(absent.code).toBe(EXIT.NOT_FOUND);
    const after = await run(['--json', 'secrets', 'list']);
    expect(JSON.parse(after.stdout)).toEqual([]);
  });

  it('KEYWARDEN_DEBUG=1 adds the stack trace', { timeout: T }, async () => {
    const r = await run(['secrets', 'get', 'NOPE'], { ...env, KEYWARDEN_DEBUG: '1' });
    expect(r.code).toBe(EXIT.NOT_FOUND);
    expect(r.stderr).toContain('    at ');
  });
});
