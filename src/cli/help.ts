/**
 * Help text helpers: every subcommand lists examples under its options, and `docs/cli.md` is built
 * from the same help (scripts/gen-cli-docs.ts).
 * @module
 */
import type { Command } from 'commander';

/** The examples given to each command, for the docs generator. */
const byCommand = new WeakMap<Command, readonly string[]>();

/**
 * Adds an `Examples:` section to `cmd`'s help (each line a complete command line).
 *
 * @example
 * ```ts
 * examples(cmd, ['keywarden secrets get OPENAI_API_KEY']);
 * ```
 * @throws never
 */
export function examples(cmd: Command, lines: readonly string[]): Command {
  byCommand.set(cmd, lines);
  cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
  return cmd;
}

/**
 * The examples given to `cmd` with {@link examples} (empty when none).
 *
 * @example
 * ```ts
 * examplesOf(cmd); // ['keywarden secrets get OPENAI_API_KEY']
 * ```
 * @throws never
 */
export function examplesOf(cmd: Command): readonly string[] {
  return byCommand.get(cmd) ?? [];
}
