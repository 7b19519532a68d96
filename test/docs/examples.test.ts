/**
 * Every TSDoc `@example` in src/ and every ```ts block of README.md and docs/*.md compiles: the blocks are extracted and type-checked in one
 * TypeScript program against the library as a user imports it (test/docs/examples.ts explains how
 * a block becomes a module; test/docs/example-prelude.ts declares the shared free variables).
 * A failure lists `file:line message` for every error.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkExamples,
  examplesInMarkdown,
  examplesInSource,
  extractExamples,
  formatErrors,
} from './examples.js';

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

  it('extracts the ```ts blocks of markdown; a block after <!-- continues --> is joined to the previous ts block', () => {
    const text = [
      '# Title', // 1
      '```ts', // 2
      'const a = 1;', // 3
      '```', // 4
      '```jsonc', // 5
      '{ "shape": true }', // 6
      '```', // 7
      '<!-- continues -->', // 8
      '', // 9
      '```ts', // 10
      'const b: number = a;', // 11
      '```', // 12
      '```ts', // 13
      'standalone();', // 14
      '```', // 15
    ].join('\n');
    expect(examplesInMarkdown('docs/x.md', text)).toEqual([
      { file: 'docs/x.md', line: 3, code: 'const a = 1;\nconst b: number = a;', lines: [3, 11] },
      { file: 'docs/x.md', line: 14, code: 'standalone();' },
    ]);
    expect(() => examplesInMarkdown('docs/x.md', '<!-- continues -->\n```ts\nx;\n```')).toThrow(/continues/);
  });

  it('every example compiles (and four planted broken ones are reported at their lines)', () => {
    // planted in the same program (one compile): a type error on a block's second line, a subpath
    // the package does not export, and a free name the prelude does not declare
    const planted = [
      { file: 'test/docs/planted.md', line: 10, code: 'const ok = 1;\nconst bad: string = ok;' },
      { file: 'test/docs/planted.md', line: 20, code: "import { createRotator } from 'keywarden/rotation';" },
      { file: 'test/docs/planted.md', line: 30, code: 'await km.apiKeys.verify(tokenNotDeclared);' },
      // a continued block: the error of its second part is located at that part's own line
      ...examplesInMarkdown(
        'test/docs/planted.md',
        `${'\n'.repeat(38)}\`\`\`ts\nconst n = 1;\n\`\`\`\n<!-- continues -->\n\`\`\`ts\nconst s: string = n;\n\`\`\``,
      ),
    ];
    const { examples, errors } = checkExamples(root, join(import.meta.dirname, 'example-prelude.ts'), [
      ...extractExamples(root),
      ...planted,
    ]);
    expect(examples).toBeGreaterThan(870);
    const plantedErrors = errors.filter((e) => e.file === 'test/docs/planted.md');
    expect(plantedErrors.map((e) => e.line)).toEqual([11, 20, 30, 44]);
    expect(plantedErrors[1]?.message).toContain('keywarden/rotation');
    expect(plantedErrors[2]?.message).toContain('tokenNotDeclared');
    const real = errors.filter((e) => e.file !== 'test/docs/planted.md');
    expect(formatErrors(real), 'examples that do not compile (fix the example, not the API)').toBe('');
  }, 300_000);
});
