/**
 * Every command's help has examples, and each example uses only options that command (or the
 * program) has.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandPath, EXAMPLES } from '../../src/cli/examples.js';
import { examplesOf } from '../../src/cli/help.js';
import { buildProgram } from '../../src/cli/program.js';

function runnable(root: Command): Command[] {
  const out: Command[] = [];
  const walk = (c: Command) => {
    for (const s of c.commands) {
      // a group without an action of its own (`api-keys`, `audit`) is not run
      const hasAction = (s as unknown as { _actionHandler: unknown })._actionHandler !== null;
      if (hasAction) out.push(s);
      walk(s);
    }
  };
  walk(root);
  return out;
}

describe('help examples', () => {
  const program = buildProgram();
  const commands = runnable(program);

  it('every runnable command has examples in its help', () => {
    expect(commands.length).toBeGreaterThan(50);
    const missing = commands.filter((c) => examplesOf(c).length === 0).map(commandPath);
    expect(missing).toEqual([]);
    const create = commands.find((c) => commandPath(c) === 'api-keys create');
    expect(create?.helpInformation()).toBeDefined();
  });

  it('no example is for a command that does not exist', () => {
    const paths = new Set(commands.map(commandPath));
    expect(Object.keys(EXAMPLES).filter((p) => !paths.has(p))).toEqual([]);
  });

  it('every option an example uses exists on its command or the program', () => {
    const bad: string[] = [];
    for (const cmd of commands) {
      const known = new Set<string>();
      for (let c: Command | null = cmd; c !== null; c = c.parent) {
        for (const o of c.options) {
          if (o.long) known.add(o.long);
          if (o.short) known.add(o.short);
        }
      }
      for (const line of examplesOf(cmd)) {
        const args = line.slice(line.indexOf('keywarden ')).split(/ -- | \| /)[0] ?? '';
        for (const flag of args.match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []) {
          if (!known.has(flag)) bad.push(`${commandPath(cmd)}: ${flag}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
