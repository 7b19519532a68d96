/**
 * parseInput: which field a failed union names. A flag-or-object option names the field inside
 * the object; a union of several objects that all got into the input names the union.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { parseInput } from '../../src/internal/validate.js';

const rule = z.union([z.boolean(), z.strictObject({ action: z.optional(z.enum(['none', 'revoke'])) })]);
const schema = z.union([z.boolean(), z.strictObject({ rule: z.optional(rule) })]);
const auth = z.union([
  z.strictObject({ type: z.literal('bearer') }),
  z.strictObject({ type: z.literal('header'), name: z.string() }),
]);

const fieldOf = (s: z.ZodMiniType, input: unknown): unknown => {
  try {
    parseInput(s, input, 'opt');
  } catch (e) {
    return (e as { field?: unknown }).field;
  }
  return 'accepted';
};

describe('parseInput through unions', () => {
  it('names the field inside the one branch that got into the input', () => {
    expect(fieldOf(schema, { rule: { action: 'disable' } })).toBe('opt.rule.action');
    expect(fieldOf(schema, { rule: { action: 42 } })).toBe('opt.rule.action');
    expect(fieldOf(schema, { rule: 'yes' })).toBe('opt.rule');
    expect(fieldOf(schema, 'yes')).toBe('opt');
    expect(fieldOf(schema, { rule: { action: 'revoke' } })).toBe('accepted');
  });

  it('names the union when several branches got in (no branch is a better guess)', () => {
    expect(fieldOf(z.strictObject({ auth }), { auth: { type: 'header' } })).toBe('opt.auth');
    expect(fieldOf(z.strictObject({ auth }), { auth: { type: 'basic' } })).toBe('opt.auth');
  });
});
