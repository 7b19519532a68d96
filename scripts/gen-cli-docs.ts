/**
 * Rewrites the generated command reference of docs/cli.md from the CLI's command tree.
 * Run: npx tsx scripts/gen-cli-docs.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withReference } from '../src/cli/reference.js';

const file = join(import.meta.dirname, '..', 'docs', 'cli.md');
const before = await readFile(file, 'utf8');
const after = withReference(before);
if (after !== before) await writeFile(file, after);
process.stdout.write(after === before ? 'docs/cli.md is up to date\n' : 'docs/cli.md updated\n');
