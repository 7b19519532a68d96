/**
 * Input parsing of the access views: a plain-object check, unknown keys named, then zod. Fields
 * are named without a root (`upstream.origin`, `duration`); `root` names a whole bad input.
 * @internal
 * @module
 */
import type * as z from 'zod/mini';
import { validationError } from '../errors.js';
import { parseObject } from '../internal/parse-object.js';
import { parseInput } from '../internal/validate.js';

/**
 * Parses an options object (`undefined` reads as `{}` when `optional`).
 *
 * @example
 * ```ts
 * const input = parseFields(registerToolSchema, raw, 'input');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the field.
 */
export function parseFields<S extends z.ZodMiniObject>(
  schema: S,
  raw: unknown,
  root: string,
  optional = false,
): z.output<S> {
  const input = raw === undefined && optional ? {} : raw;
  return parseObject(schema, new Set(Object.keys(schema.shape)), input, root);
}

/**
 * Parses one value (an id) naming `field`.
 *
 * @example
 * ```ts
 * const id = parseValue(recordIdSchema, raw, 'id');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `field`.
 */
export function parseValue<S extends z.ZodMiniType>(schema: S, raw: unknown, field: string): z.output<S> {
  if (raw === undefined) throw validationError(field, 'is required');
  return parseInput(schema, raw, field);
}
