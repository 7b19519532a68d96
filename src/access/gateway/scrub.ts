/**
 * Finding a value (the injected secret, or the agent's proxy token) in bytes that stream past,
 * in every form an upstream might echo it: raw, percent-encoded, JSON-escaped, hex, and base64
 * (standard and URL alphabets) at each of the three byte alignments, so the secret is found inside
 * a longer base64 text such as `Basic base64(secret + ':')` or `base64('prefix' + secret)`.
 *
 * Matches are overwritten in place with `*` of the same length, so a `content-length` stays true.
 * Across chunk boundaries the scrubber holds back only the bytes that could start a match (the
 * longest tail of the stream that is a prefix of a form), so server-sent events still flow.
 * @module
 */
import { Buffer } from 'node:buffer';

const MASK = 0x2a; // '*'
const EMPTY = Buffer.alloc(0);

function base64Forms(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let align = 0; align < 3; align++) {
    const padded = Buffer.concat([Buffer.alloc(align), bytes]);
    const std = padded.toString('base64').replace(/=+$/, '');
    // characters whose 6 bits all come from `bytes`
    const from = Math.ceil((8 * align) / 6);
    const to = Math.floor((8 * (align + bytes.length)) / 6);
    if (to <= from) continue;
    const core = std.slice(from, to);
    out.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return out;
}

/**
 * Every form of `value` the scrubber looks for, longest first, without duplicates.
 *
 * @example
 * ```ts
 * secretForms('sk-a/b').map(String); // includes 'sk-a/b', 'sk-a%2Fb', 'sk-a%2fb', 'sk-a\\/b', hex and base64 forms
 * ```
 * @throws never
 */
export function secretForms(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const uri = encodeURIComponent(value);
  const forms = new Set<string>([
    value,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    uri.replaceAll('%20', '+'),
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(value).slice(1, -1).replaceAll('/', '\\/'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    ...base64Forms(bytes),
  ]);
  return [...forms]
    .filter((f) => f.length > 0)
    .sort((a, b) => b.length - a.length)
    .map((f) => Buffer.from(f, 'utf8'));
}

/** What the hold-back search needs from a list of forms. */
interface Prepared {
  forms: readonly Buffer[];
  /**
   * Whether a form starts with each byte value (computed once per list of several forms); null
   * for a list of one or two forms (the proxy token's tripwire), whose first bytes are `f0`, `f1`.
   */
  first: Uint8Array | null;
  f0: number;
  f1: number;
  /** Length of the longest form. */
  maxLen: number;
  /** Length of the shortest form (0 for no forms). */
  minLen: number;
}

const preparedForms = new WeakMap<readonly Buffer[], Prepared>();

function prepare(forms: readonly Buffer[]): Prepared {
  const few = forms.length <= 2;
  let p = few ? undefined : preparedForms.get(forms);
  if (p === undefined) {
    let maxLen = 0;
    let minLen = forms.length === 0 ? 0 : Number.MAX_SAFE_INTEGER;
    const first = few ? null : new Uint8Array(256);
    for (const f of forms) {
      if (f.length > maxLen) maxLen = f.length;
      if (f.length < minLen) minLen = f.length;
      if (first !== null && f.length > 0) first[f[0] as number] = 1;
    }
    const f0 = forms[0]?.[0] ?? -1;
    p = { forms, first, f0, f1: forms[1]?.[0] ?? f0, maxLen, minLen };
    if (!few) preparedForms.set(forms, p);
  }
  return p;
}

/**
 * Length of the longest tail of `buf` that is a proper prefix of one of the forms: the earliest
 * start in the last `maxLen - 1` bytes whose byte begins a form and whose rest matches it.
 */
function heldBack(buf: Buffer, p: Prepared): number {
  const len = buf.length;
  const { forms, first, f0, f1 } = p;
  for (let at = Math.max(0, len - p.maxLen + 1); at < len; at++) {
    const b = buf[at] as number;
    if (first === null ? b !== f0 && b !== f1 : first[b] === 0) continue;
    const k = len - at;
    for (let i = 0; i < forms.length; i++) {
      const f = forms[i] as Buffer;
      if (f[0] !== b || f.length <= k) continue;
      let j = 1; // the tail is shorter than the longest form: compared here, without a native call
      while (j < k && buf[at + j] === f[j]) j++;
      if (j === k) return k;
    }
  }
  return 0;
}

/**
 * The length of the shortest form: a text shorter than this cannot hold any of them.
 *
 * @example
 * ```ts
 * shortestForm(secretForms('sk-1')); // 4
 * ```
 * @throws never
 */
export function shortestForm(forms: readonly Buffer[]): number {
  return prepare(forms).minLen;
}

/**
 * Masks every occurrence of every form in `buf` (in place). Returns whether one was found.
 *
 * @example
 * ```ts
 * const buf = Buffer.from('key=sk-1');
 * maskAll(buf, secretForms('sk-1')); // true; buf is now 'key=****'
 * ```
 * @throws never
 */
export function maskAll(buf: Buffer, forms: readonly Buffer[]): boolean {
  let found = false;
  for (const f of forms) {
    for (let i = buf.indexOf(f); i !== -1; i = buf.indexOf(f, i + f.length)) {
      buf.fill(MASK, i, i + f.length);
      found = true;
    }
  }
  return found;
}

const latin1Forms = new WeakMap<readonly Buffer[], string[]>();

/**
 * Masks the forms in a header value (node gives header values as latin1 strings).
 *
 * @example
 * ```ts
 * scrubText('x sk-1 y', secretForms('sk-1')); // { text: 'x **** y', found: true }
 * ```
 * @throws never
 */
export function scrubText(text: string, forms: readonly Buffer[]): { text: string; found: boolean } {
  let texts = latin1Forms.get(forms);
  if (texts === undefined) {
    texts = forms.map((f) => f.toString('latin1'));
    latin1Forms.set(forms, texts);
  }
  let out = text;
  let found = false;
  for (const f of texts) {
    if (out.length >= f.length && out.includes(f)) {
      out = out.replaceAll(f, '*'.repeat(f.length));
      found = true;
    }
  }
  return { text: out, found };
}

/**
 * A streaming scrubber: `push` returns the bytes safe to pass on, `flush` the rest at the end.
 *
 * @example
 * ```ts
 * declare const chunk: Buffer;
 * const s = new StreamScrubber(secretForms(secret));
 * res.write(s.push(chunk)); // for each chunk, then at the end:
 * res.end(s.flush());
 * ```
 */
export class StreamScrubber {
  private tail: Buffer = EMPTY;
  /** Whether a form was seen (and masked) so far. */
  found = false;

  private readonly prepared: Prepared;

  constructor(private readonly forms: readonly Buffer[]) {
    this.prepared = prepare(forms);
  }

  /** Takes a chunk, returns what can be passed on now. @throws never */
  push(chunk: Buffer): Buffer {
    const buf = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    if (maskAll(buf, this.forms)) this.found = true;
    const keep = heldBack(buf, this.prepared);
    this.tail = keep === 0 ? EMPTY : Buffer.from(buf.subarray(buf.length - keep));
    return keep === 0 ? buf : buf.subarray(0, buf.length - keep);
  }

  /** The held-back tail (it cannot contain a whole form). @throws never */
  flush(): Buffer {
    const rest = this.tail;
    this.tail = EMPTY;
    return rest;
  }
}
