/**
 * The command reference of docs/cli.md, rendered from the command tree itself (each command's own
 * `--help` text and its examples), so the docs cannot drift from the CLI: `npx tsx
 * scripts/gen-cli-docs.ts` rewrites the section, and test/cli/docs.test.ts fails when it is stale.
 * @module
 */
import type { Command } from 'commander';
import { commandPath } from './examples.js';
import { examplesOf } from './help.js';
import { buildProgram } from './program.js';

/** Marks the start of the generated section in docs/cli.md. */
export const REFERENCE_BEGIN =
  '<!-- BEGIN GENERATED: keywarden command reference (scripts/gen-cli-docs.ts) -->';
/** Marks its end. */
export const REFERENCE_END = '<!-- END GENERATED: keywarden command reference -->';

/** Fixed width, so the text does not depend on the terminal that generated it. */
const HELP_WIDTH = 100;

function commandsOf(root: Command): Command[] {
  const out: Command[] = [];
  const walk = (c: Command) => {
    for (const s of c.commands) {
      out.push(s);
      walk(s);
    }
  };
  walk(root);
  return out;
}

function helpOf(cmd: Command): string {
  cmd.configureHelp({ helpWidth: HELP_WIDTH });
  // plain text whatever the terminal, FORCE_COLOR or NO_COLOR of the run
  cmd.configureOutput({
    ...cmd.configureOutput(),
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  return cmd.helpInformation().trimEnd();
}

/**
 * The generated reference (between and including the markers).
 *
 * @example
 * ```ts
 * const text = renderReference();
 * ```
 * @throws never
 */
export function renderReference(): string {
  const program = buildProgram();
  const parts = [
    REFERENCE_BEGIN,
    '',
    '## Command reference',
    '',
    'Generated from the commands themselves (`keywarden <command> --help` prints the same).',
    '',
    '### `keywarden`',
    '',
    '```text',
    helpOf(program),
    '```',
  ];
  for (const cmd of commandsOf(program)) {
    parts.push('', `### \`keywarden ${commandPath(cmd)}\``, '', '```text', helpOf(cmd));
    const examples = examplesOf(cmd);
    if (examples.length > 0) parts.push('', 'Examples:', ...examples.map((e) => `  $ ${e}`));
    parts.push('```');
  }
  parts.push('', REFERENCE_END);
  return parts.join('\n');
}

/**
 * `doc` with its generated section replaced by {@link renderReference} (appended when missing).
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * const updated = withReference(await readFile('docs/cli.md', 'utf8'));
 * ```
 * @throws Error when only one of the markers is present.
 */
export function withReference(doc: string): string {
  const start = doc.indexOf(REFERENCE_BEGIN);
  const end = doc.indexOf(REFERENCE_END);
  if ((start === -1) !== (end === -1)) throw new Error('docs/cli.md has only one of the reference markers');
  const reference = renderReference();
  if (start === -1) return `${doc.trimEnd()}\n\n${reference}\n`;
  return `${doc.slice(0, start)}${reference}${doc.slice(end + REFERENCE_END.length)}`;
}
