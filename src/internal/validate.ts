/**
 * zod at the edge: every public input is parsed here, and a failure becomes one
 * `KeywardenError('ERR_VALIDATION')` naming the first bad field. Input values are never echoed
 * into the message (they may be secrets).
 * @internal
 * @module
 */
import type { z } from 'zod';
import { KeywardenError } from '../errors.js';

/**
 * Parses `input` with `schema`; on failure throws `ERR_VALIDATION` with `field` set to the
 * dotted path of the first issue, prefixed by `root` (e.g. `'options'`).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? issue.path.map(String) : [];
  const field = [root, ...path].filter((p) => p !== '').join('.') || root;
  const why = issue ? describeIssue(issue) : 'is invalid';
  throw new KeywardenError('ERR_VALIDATION', `${field} ${why}`, { field });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // zod messages can quote the received value (e.g. invalid enum): keep only safe ones.
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected}`;
    case 'too_small':
      return `is too small (minimum ${String(issue.minimum)})`;
    case 'too_big':
      return `is too big (maximum ${String(issue.maximum)})`;
    case 'invalid_format':
      return `has an invalid format${issue.format === 'regex' ? '' : ` (${issue.format})`}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `has unknown keys: ${issue.keys.join(', ')}`;
    case 'custom':
      return issue.message;
    default:
      return 'is invalid';
  }
}
