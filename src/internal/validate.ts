/**
 * zod at the edge: every public input is parsed here, and a failure becomes one
 * `KeywardenError('ERR_VALIDATION')` naming the first bad field. Input values are never echoed
 * into the message (they may be secrets).
 * @internal
 * @module
 */
import type * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';

/**
 * Parses `input` with `schema`; on failure throws `ERR_VALIDATION` with `field` set to the
 * dotted path of the first issue, prefixed by `root` (e.g. `'options'`).
 * @example
 * ```ts
 * const o = parseInput(listKeysSchema(), options ?? {}, 'options');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the first bad field (the value itself is never in the message).
 */
export function parseInput<S extends z.ZodMiniType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0] === undefined ? undefined : deepest(result.error.issues[0]);
  const path = issue ? issue.path.map(String) : [];
  const field = [root, ...path].filter((p) => p !== '').join('.') || root;
  const why = issue ? describeIssue(issue) : 'is invalid';
  throw new KeywardenError('ERR_VALIDATION', `${field} ${why}`, { field });
}

/**
 * Parses `input` with the one of `branches` whose `tag` member is the literal `input[tag]`, as
 * `z.discriminatedUnion(tag, branches)` does and with the same errors: `${root} must be object`
 * for a non-object, `${root}.${tag} is invalid` when no branch has that tag, else the first issue of
 * that branch. A lookup over the branches' literals instead of zod's discriminated union, whose
 * machinery (option maps, lazy property sets) was ~1.9 KB of every minified manager bundle.
 * @example
 * ```ts
 * const branches = [z.strictObject({ type: z.literal('a') }), z.strictObject({ type: z.literal('b'), n: z.number() })];
 * const spec = parseTagged('type', branches, input, 'spec'); // ERR_VALIDATION field 'spec.type' for { type: 'c' }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the first bad field (the value itself is never in the message).
 */
export function parseTagged<S extends z.ZodMiniObject>(
  tag: string,
  branches: readonly S[],
  input: unknown,
  root: string,
): z.output<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new KeywardenError('ERR_VALIDATION', `${root} must be object`, { field: root });
  }
  const value = (input as Record<string, unknown>)[tag];
  const branch = branches.find((b) => (b.shape[tag] as z.ZodMiniLiteral)._zod.values.has(value as never));
  if (branch === undefined) {
    throw new KeywardenError('ERR_VALIDATION', `${root}.${tag} is invalid`, { field: `${root}.${tag}` });
  }
  return parseInput(branch, input, root);
}

/**
 * True when `value` is well-formed Unicode: every UTF-16 surrogate is part of a pair, so the
 * string is a sequence of Unicode scalar values (what `String.prototype.isWellFormed` of ES2024
 * checks; the core targets ES2022). A lone surrogate cannot be stored exactly: UTF-8 encoders
 * turn it into U+FFFD, and then `'t\uD800'` and `'t\uFFFD'` name the same tenant.
 *
 * @example
 * ```ts
 * isWellFormedString('a\u{1F600}'); // true
 * isWellFormedString('t\uD800'); // false
 * ```
 * @throws never
 */
export function isWellFormedString(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false; // a low surrogate without a high one
    const d = value.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false; // a high surrogate without a low one
    i++;
  }
  return true;
}

/**
 * The message of a string that is not well-formed Unicode (see {@link isWellFormedString}).
 *
 * @example
 * ```ts
 * z.string().check(z.refine(isWellFormedString, NOT_WELL_FORMED));
 * ```
 */
export const NOT_WELL_FORMED = 'must be well-formed Unicode (no lone surrogate)';

/**
 * An object key that may be quoted in a message: a short identifier (no spaces, no control
 * characters) of at most 32 characters, so an API token (53 characters or more) passed by mistake
 * as a key is never echoed.
 */
const SAFE_KEY = /^[A-Za-z_$][A-Za-z0-9_$]{0,31}$/;

/**
 * Whether an input object's key may be quoted in an error message or field path: only a short
 * identifier (a typo such as `enviroment`). Any other key text is input like any other, and may be
 * a pasted secret or carry control characters, so errors name its parent instead.
 *
 * @example
 * ```ts
 * declare const key: string;
 * throw isQuotableKey(key) ? validationError(`options.${key}`, 'is not an option') : validationError('options', 'has an unknown key');
 * ```
 * @throws never
 */
export function isQuotableKey(key: string): boolean {
  return SAFE_KEY.test(key);
}

/**
 * The issue to report for `issue`. A failed union of a flag and an object (`true | { action }`)
 * is reported by its one branch that got into the input (its first issue with a path, recursively),
 * so `monitor.violations.action` is named instead of `monitor`. When no branch or several got in
 * (`{ type: 'bearer' } | { type: 'header', name }`), the union itself: no branch is a better guess.
 */
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union') return issue;
  let found: z.core.$ZodIssue | null = null;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const inner = deepest(first);
    if (inner.path.length === 0) continue;
    if (found !== null) return issue;
    found = inner;
  }
  return found === null ? issue : { ...found, path: [...issue.path, ...found.path] };
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
    case 'unrecognized_keys': {
      // keys are input too: name identifier-like ones (a typo such as `enviroment`), never other text
      const named = issue.keys.filter(isQuotableKey);
      if (named.length === issue.keys.length) return `has unknown keys: ${named.join(', ')}`;
      const count = `${issue.keys.length} unknown key${issue.keys.length === 1 ? '' : 's'}`;
      return named.length === 0 ? `has ${count}` : `has ${count}, among them: ${named.join(', ')}`;
    }
    case 'custom':
      return issue.message;
    default:
      return 'is invalid';
  }
}
