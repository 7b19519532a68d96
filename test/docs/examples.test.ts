/**
 * Every TSDoc `@example` in src/ compiles: the blocks are extracted and type-checked in one
 * TypeScript program against the library as a user imports it (test/docs/examples.ts explains how
 * a block becomes a module; test/docs/example-prelude.ts declares the shared free variables).
 *
 * examples-baseline.json counts, per file, the examples that did not compile yet when the check
 * was introduced. It only goes down: a file with more broken examples than its count fails (with
 * file:line of each error), and so does one with fewer, until its count is lowered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenByFile, checkExamples, examplesInSource, formatErrors } from './examples.js';

const root = join(import.meta.dirname, '..', '..');
const baseline = JSON.parse(
  readFileSync(join(import.meta.dirname, 'examples-baseline.json'), 'utf8'),
) as Record<string, number>;

describe('TSDoc examples', () => {
  it('extracts fenced TypeScript blocks after @example, comment markers removed, other languages skipped', () => {
    const source = [
      '/**',
      ' * Summary with a block that is not an example:',
      ' * ```ts',
      ' * notAnExample();',
      ' * ```',
      ' * @example',
      ' * ```ts',
      ' * const a = 1;',
      ' *   indented();',
      ' * ```',
      ' * ```sh',
      ' * keywarden init',
      ' * ```',
      ' * @throws never',
      ' */',
      'export const a = 1;',
      '  /**',
      '   * @example',
      '   * ```',
      '   * untagged();',
      '   * ```',
      '   */',
    ].join('\n');
    expect(examplesInSource('src/x.ts', source)).toEqual([
      { file: 'src/x.ts', line: 8, code: 'const a = 1;\n  indented();' },
      { file: 'src/x.ts', line: 20, code: 'untagged();' },
    ]);
  });

  it('every example compiles, except the ones examples-baseline.json still counts', () => {
    const { examples, errors } = checkExamples(root, join(import.meta.dirname, 'example-prelude.ts'));
    expect(examples).toBeGreaterThan(700);
    const prelude = errors.filter((e) => e.file.startsWith('test/'));
    expect(formatErrors(prelude), 'the prelude itself').toBe('');
    const broken = brokenByFile(errors);
    const worse = Object.keys(broken).filter((f) => (broken[f] ?? 0) > (baseline[f] ?? 0));
    expect(
      formatErrors(errors.filter((e) => worse.includes(e.file))),
      'examples that do not compile (fix the example, not the API)',
    ).toBe('');
    const better = Object.keys(baseline)
      .filter((f) => (broken[f] ?? 0) < (baseline[f] as number))
      .map((f) => `${f}: ${baseline[f]} -> ${broken[f] ?? 0}`);
    expect(better, 'fewer broken examples than examples-baseline.json counts: lower the counts').toEqual([]);
  }, 300_000);
});
