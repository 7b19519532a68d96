/**
 * Every TSDoc `@example` in src/ compiles: the blocks are extracted and type-checked in one
 * TypeScript program against the library as a user imports it (test/docs/examples.ts explains how
 * a block becomes a module; test/docs/example-prelude.ts declares the shared free variables).
 * A failure lists `file:line message` for every error.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkExamples, examplesInSource, extractExamples, formatErrors } from './examples.js';

const root = join(import.meta.dirname, '..', '..');

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

  it('every example compiles (and three planted broken ones are reported at their lines)', () => {
    // planted in the same program (one compile): a type error on a block's second line, a subpath
    // the package does not export, and a free name the prelude does not declare
    const planted = [
      { file: 'test/docs/planted.md', line: 10, code: 'const ok = 1;\nconst bad: string = ok;' },
      { file: 'test/docs/planted.md', line: 20, code: "import { createRotator } from 'keywarden/rotation';" },
      { file: 'test/docs/planted.md', line: 30, code: 'await km.apiKeys.verify(tokenNotDeclared);' },
    ];
    const { examples, errors } = checkExamples(root, join(import.meta.dirname, 'example-prelude.ts'), [
      ...extractExamples(root),
      ...planted,
    ]);
    expect(examples).toBeGreaterThan(800);
    const plantedErrors = errors.filter((e) => e.file === 'test/docs/planted.md');
    expect(plantedErrors.map((e) => e.line)).toEqual([11, 20, 30]);
    expect(plantedErrors[1]?.message).toContain('keywarden/rotation');
    expect(plantedErrors[2]?.message).toContain('tokenNotDeclared');
    const real = errors.filter((e) => e.file !== 'test/docs/planted.md');
    expect(formatErrors(real), 'examples that do not compile (fix the example, not the API)').toBe('');
  }, 300_000);
});
