import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDotenv, quoteDotenv, updateDotenv, writePrivateFile } from '../../src/cli/dotenv-format.js';
import { formatEnv, shellQuote } from '../../src/cli/env-run.js';
import { EXIT, exitCodeFor } from '../../src/cli/exit-codes.js';
import { CliError, formatError, table } from '../../src/cli/io.js';
import { KeywardenError } from '../../src/errors.js';
import { tempDir } from './harness.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('kw-dotenv-')));
afterAll(() => cleanup());

describe('dotenv format', () => {
  it('parses bare, quoted, exported, commented and multi-line values', () => {
    const text = [
      '# comment',
      'A=plain # trailing comment',
      "B='single # not a comment'",
      'export C="line1\\nline2 \\"q\\""',
      'D="spans',
      'two lines"',
      'not an assignment',
      'E=',
    ].join('\n');
    const got = Object.fromEntries(parseDotenv(text).map((e) => [e.key, e.value]));
    expect(got).toEqual({
      A: 'plain',
      B: 'single # not a comment',
      C: 'line1\nline2 "q"',
      D: 'spans\ntwo lines',
      E: '',
    });
    expect(parseDotenv(text).find((e) => e.key === 'C')?.exported).toBe(true);
  });

  it('quoting round-trips any value through the parser', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const parsed = parseDotenv(`K=${quoteDotenv(value)}\n`);
        expect(parsed.map((e) => e.value)).toEqual([value]);
      }),
    );
  });

  it('updates in place, keeps every other line, drops duplicates, appends new keys', () => {
    const before = '# top\nA=1\n\n# keep me\nexport B="old\nvalue"\nC=3\nA=dup\n';
    const after = updateDotenv(before, { A: 'new', B: 'x y', D: "it's" });
    expect(after).toBe("# top\nA=new\n\n# keep me\nexport B='x y'\nC=3\nD=\"it's\"\n");
    expect(updateDotenv('', { A: '1' })).toBe('A=1\n');
    expect(updateDotenv('A=1\r\nB=2\r\n', { B: '3' })).toBe('A=1\r\nB=3\r\n');
  });

  it('writes atomically with mode 0600 and leaves no temp file', async () => {
    const file = join(dir, '.env');
    await writeFile(file, 'OLD=1\n', { mode: 0o644 });
    await writePrivateFile(file, 'NEW=2\n');
    expect(await readFile(file, 'utf8')).toBe('NEW=2\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('shell format', () => {
  it('any value survives eval in sh', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 0, maxLength: 40 }).filter((s) => !s.includes('\0')),
        (value) => {
          const script = `${formatEnv({ V: value }, 'shell')}printf '%s' "$V"`;
          const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
          expect(r.stdout).toBe(value);
        },
      ),
      { numRuns: 40 },
    );
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
  });

  it('skips names that are not valid variable names and sorts the rest', () => {
    expect(formatEnv({ B: '2', 'bad-name': 'x', A: '1' }, 'dotenv')).toBe('A=1\nB=2\n');
    expect(() => formatEnv({}, 'xml')).toThrow(CliError);
  });
});

describe('errors and exit codes', () => {
  it('maps error codes to the documented exit codes', () => {
    expect(exitCodeFor('ERR_VALIDATION')).toBe(EXIT.USAGE);
    expect(exitCodeFor('ERR_NOT_FOUND')).toBe(EXIT.NOT_FOUND);
    expect(exitCodeFor('ERR_MASTER_KEY_MISMATCH')).toBe(EXIT.MASTER_KEY);
    expect(exitCodeFor('ERR_DECRYPT')).toBe(EXIT.MASTER_KEY);
    expect(exitCodeFor('ERR_LOCKED')).toBe(EXIT.STORAGE);
    expect(exitCodeFor('ERR_INSECURE_PERMISSIONS')).toBe(EXIT.STORAGE);
    expect(exitCodeFor('ERR_CONFLICT')).toBe(EXIT.CONFLICT);
    expect(exitCodeFor('ERR_BACKUP')).toBe(EXIT.FAILED);
  });

  it('formats one line, whatever the message holds', () => {
    expect(formatError(new KeywardenError('ERR_STORAGE', 'line one\n  line two'))).toBe(
      'keywarden: line one line two (ERR_STORAGE)',
    );
    expect(formatError(new TypeError('boom'))).toBe('keywarden: unexpected error: boom (ERR_INTERNAL)');
    expect(
      table([
        ['A', 'BB'],
        ['ccc', 'd'],
      ]),
    ).toEqual(['A    BB', 'ccc  d']);
  });
});
