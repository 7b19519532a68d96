/**
 * Docs where users read them: the README (shown on npm, where `docs/` is not shipped) links only
 * absolute URLs, each repository link points at a file that exists here, package.json names the
 * repository, homepage and issue tracker, and the CLI's help points at the docs by URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const REPO = 'https://github.com/keywarden/keywarden';

describe('README and package metadata', () => {
  it('the README has no relative link; every repository link names an existing file', () => {
    const readme = read('README.md');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
    expect(targets.length).toBeGreaterThan(20);
    const relative = targets.filter((t) => !/^(https?:|#|mailto:)/.test(t));
    expect(relative, 'relative links (broken on npm)').toEqual([]);
    for (const t of targets.filter((x) => x.startsWith(`${REPO}/blob/main/`))) {
      const file = t.slice(`${REPO}/blob/main/`.length).split('#')[0] as string;
      expect(existsSync(join(root, file)), t).toBe(true);
    }
  });

  it('package.json names the repository, homepage and issue tracker', () => {
    const pkg = JSON.parse(read('package.json')) as Record<string, unknown>;
    expect(pkg['repository']).toEqual({ type: 'git', url: `git+${REPO}.git` });
    expect(pkg['homepage']).toBe(`${REPO}#readme`);
    expect(pkg['bugs']).toEqual({ url: `${REPO}/issues` });
  });

  it("the CLI's help points at the docs by URL, not by a path missing from the package", () => {
    const program = read('src/cli/program.ts');
    expect(program).toContain(`Docs: ${REPO}/blob/main/docs/cli.md`);
    expect(program).not.toMatch(/Docs: docs\//);
    expect(existsSync(join(root, 'docs/cli.md'))).toBe(true);
  });
});
