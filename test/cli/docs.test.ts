/**
 * docs/cli.md holds the command reference generated from the commands; it must match them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_BEGIN, REFERENCE_END, renderReference, withReference } from '../../src/cli/reference.js';

describe('docs/cli.md', () => {
  it('holds the command reference as the commands render it (run npx tsx scripts/gen-cli-docs.ts)', async () => {
    const doc = await readFile(join(import.meta.dirname, '../../docs/cli.md'), 'utf8');
    const start = doc.indexOf(REFERENCE_BEGIN);
    const end = doc.indexOf(REFERENCE_END);
    expect(start).toBeGreaterThan(-1);
    expect(doc.slice(start, end + REFERENCE_END.length)).toBe(renderReference());
  });

  it('the reference covers every command, with its options and examples', () => {
    const text = renderReference();
    for (const heading of [
      'keywarden signing-keys verify',
      'keywarden rotate policy set',
      'keywarden env diff',
      'keywarden setup',
    ]) {
      expect(text).toContain(`### \`${heading}\``);
    }
    expect(text).toContain('--write-env <file>');
    expect(text).toContain('$ keywarden setup openai');
  });

  it('replacing the section keeps the rest of the document and is idempotent', () => {
    const once = withReference('# Title\n\nprose\n');
    expect(once.startsWith('# Title\n\nprose\n\n')).toBe(true);
    expect(withReference(once)).toBe(once);
    expect(withReference(once.replace('--write-env <file>', '--stale'))).toBe(once);
    expect(() => withReference(`x ${REFERENCE_BEGIN}`)).toThrow(/only one/);
  });
});
