/**
 * Which flag or variable a library field stands for in each command, so error messages name what
 * the user typed (`--expires-in`, not `expiresIn`).
 * @module
 */
import type { Command } from 'commander';

/** Library field names a command's flags stand for, when not the flag's own camelCase name. */
const extraFieldNames = new WeakMap<Command, Record<string, string>>();

/**
 * Tells the error boundary which flag a library field stands for in `cmd` (e.g. `ownerId` for
 * `--owner`), so messages name what the user typed. Each option's own camelCase name (`expiresIn`
 * for `--expires-in`) is mapped without this.
 *
 * @example
 * ```ts
 * fieldNames(cmd, { ownerId: '--owner', 'rateLimit.limit': '--rate-limit' });
 * ```
 * @throws never
 */
export function fieldNames(cmd: Command, names: Record<string, string>): Command {
  extraFieldNames.set(cmd, { ...extraFieldNames.get(cmd), ...names });
  return cmd;
}

/**
 * The library field -> flag names of the command that ran and its parents (global options too).
 *
 * @example
 * ```ts
 * namesOf(cmd).expiresIn; // '--expires-in'
 * ```
 * @throws never
 */
export function namesOf(cmd: Command | undefined): Record<string, string> {
  const names: Record<string, string> = { previousKeys: 'KEYWARDEN_PREVIOUS_MASTER_KEYS' };
  for (let c: Command | null = cmd ?? null; c !== null; c = c.parent) {
    for (const option of c.options) {
      if (option.long !== undefined) names[option.attributeName()] ??= option.long;
    }
    Object.assign(names, extraFieldNames.get(c));
  }
  return names;
}
