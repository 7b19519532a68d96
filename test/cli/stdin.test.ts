/**
 * `secrets set` from stdin: bytes that are not UTF-8 are refused (never silently replaced), unless
 * `--encoding base64` asks to store them as base64; stdin is read with a cap (the library's 64 KiB
 * value limit), so a huge pipe is refused without being read whole; a mistyped option never echoes
 * its value.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { baseEnv, kw, oneLineError, ROOT, type RunResult, TSX, tempDir } from './harness.js';

const T = 120_000;
let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const run = (args: string[], input?: string) =>
  kw(args, { cwd: dir, env, ...(input === undefined ? {} : { input }) });

/** Runs the CLI with raw bytes (or a shell pipeline) on stdin. */
function runWithBytes(args: string[], stdin: Buffer | { shell: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const main = join(ROOT, 'src/cli/main.ts');
    const quoted = [process.execPath, '--import', TSX, main, ...args].map(
      (a) => `'${a.replaceAll("'", "'\\''")}'`,
    );
    const child =
      'shell' in stdin
        ? spawn('/bin/sh', ['-c', `${stdin.shell} | ${quoted.join(' ')}`], {
            cwd: dir,
            env: { ...baseEnv(dir), ...env },
          })
        : spawn(process.execPath, ['--import', TSX, main, ...args], {
            cwd: dir,
            env: { ...baseEnv(dir), ...env },
          });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined); // the CLI may stop reading early
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if ('shell' in stdin) child.stdin.end();
    else child.stdin.end(stdin);
  });
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  expect((await run(['init'])).code).toBe(0);
}, T);
afterAll(() => cleanup());

describe('secrets set from stdin', () => {
  it('refuses bytes that are not UTF-8 and stores nothing', { timeout: T }, async () => {
    const bytes = Buffer.from([0x70, 0x77, 0xff, 0xfe, 0x80, 0x0a]); // "pw" + invalid bytes
    const r = await runWithBytes(['secrets', 'set', 'BINARY'], bytes);
    expect(r.code).toBe(EXIT.USAGE);
    expect(oneLineError(r.stderr)).toMatch(/not valid UTF-8.*--encoding base64.*\(ERR_VALIDATION\)$/);
    expect(r.stdout).not.toContain('stored');
    const get = await run(['secrets', 'get', 'BINARY']);
    expect(get.code).toBe(EXIT.NOT_FOUND);
  });

  it('--encoding base64 stores the exact bytes of stdin as base64', { timeout: T }, async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x0d, 0x0a]); // trailing newlines kept
    const r = await runWithBytes(['secrets', 'set', 'BLOB', '--encoding', 'base64'], bytes);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const get = await run(['secrets', 'get', 'BLOB']);
    expect(get.stdout.trim()).toBe(bytes.toString('base64'));
    const bad = await run(['secrets', 'set', 'X', '--encoding', 'latin1'], 'v');
    expect(bad.code).toBe(EXIT.USAGE);
  });

  it('valid UTF-8 (multi-byte) is stored as given, one trailing newline dropped', {
    timeout: T,
  }, async () => {
    const r = await runWithBytes(['secrets', 'set', 'TEXT'], Buffer.from('pässwörd-🔑\n', 'utf8'));
    expect(r.code).toBe(0);
    expect((await run(['secrets', 'get', 'TEXT'])).stdout).toBe('pässwörd-🔑\n');
  });

  it('accepts exactly 64 KiB and refuses one byte more', { timeout: T }, async () => {
    const ok = await runWithBytes(['secrets', 'set', 'BIG'], Buffer.alloc(65_536, 0x61));
    expect(ok.code).toBe(0);
    const over = await runWithBytes(['secrets', 'set', 'BIGGER'], Buffer.alloc(65_539, 0x61));
    expect(over.code).toBe(EXIT.USAGE);
    expect(oneLineError(over.stderr)).toMatch(/over 65538 bytes; nothing was stored \(ERR_VALIDATION\)$/);
    expect((await run(['secrets', 'get', 'BIGGER'])).code).toBe(EXIT.NOT_FOUND);
  });

  it('a 300 MB pipe is refused at the cap, not read whole', { timeout: T }, async () => {
    const r = await runWithBytes(['secrets', 'set', 'HUGE'], { shell: 'head -c 300000000 /dev/zero' });
    expect(r.code).toBe(EXIT.USAGE);
    expect(oneLineError(r.stderr)).toMatch(/over 65538 bytes/);
  });
});

describe('a mistyped option never echoes its value', () => {
  it('--vaule=SECRET, -xSECRET, --bogus=SECRET: the option name only', { timeout: T }, async () => {
    for (const args of [
      ['secrets', 'set', 'A', '--vaule=hunter2-SECRET'],
      ['secrets', 'set', 'A', '-xhunter2-SECRET'],
      ['keys', 'create', '--name', 'a', '--bogus=hunter2-SECRET'],
    ]) {
      const r = await run(args, 'v');
      expect(r.code, args.join(' ')).toBe(EXIT.USAGE);
      expect(r.stderr, args.join(' ')).toMatch(/unknown option '-/);
      expect(`${r.stdout}${r.stderr}`, args.join(' ')).not.toContain('hunter2');
    }
  });
});
