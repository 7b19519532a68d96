/**
 * CLI output: results on stdout (human text or `--json`), notes and warnings on stderr, colours only
 * on a terminal without `NO_COLOR`, and the one-line error format.
 * @module
 */
import { isKeywardenError } from '../errors.js';
import { EXIT, type ExitCode, exitCodeFor } from './exit-codes.js';

/** An error raised by the CLI itself (usage, missing master key...), printed like a KeywardenError. */
export class CliError extends Error {
  /** Stable code shown in brackets, e.g. `ERR_USAGE`. */
  readonly code: string;
  /** The process exit code (an {@link ExitCode}, or 127 when `run` cannot start its command). */
  readonly exitCode: number;
  /** The flag, argument or variable at fault (as the user typed it), when there is one. */
  readonly field: string | undefined;

  /**
   * @example
   * ```ts
   * throw new CliError('ERR_USAGE', 'give a value on stdin or with --value', EXIT.USAGE, '--value');
   * ```
   */
  constructor(code: string, message: string, exitCode: number = exitCodeFor(code), field?: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
    this.field = field;
  }
}

/** Output settings from the global options. */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
}

/** Where commands print. */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  /** Prints a result: `data` as JSON with `--json`, else the human text. */
  result(data: unknown, human: () => string | string[]): void;
  /** A note on stderr (hidden by `--quiet` and `--json`). */
  info(message: string): void;
  /** A warning on stderr (always shown). */
  warn(message: string): void;
  /** Colour helpers (identity when colours are off). */
  readonly style: Style;
}

/** Colour helpers. */
export interface Style {
  ok(text: string): string;
  bad(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/**
 * True when colours may be used on `stream`, by the usual convention (as Node's own `tty` does):
 * `FORCE_COLOR` set to anything but `0`/`false` forces them on, `FORCE_COLOR=0` off; otherwise
 * `NO_COLOR` set and non-empty turns them off, `TERM=dumb` too, and they are on only on a terminal.
 *
 * @example
 * ```ts
 * colorEnabled(process.stderr, process.env);
 * ```
 * @throws never
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force.toLowerCase() === 'false') return false;
    return true;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

function makeStyle(on: boolean): Style {
  const wrap = (open: number, close: number) => (t: string) => (on ? `\x1b[${open}m${t}\x1b[${close}m` : t);
  return { ok: wrap(32, 39), bad: wrap(31, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/**
 * Builds the {@link Output} for one run.
 *
 * @example
 * ```ts
 * const out = createOutput({ json: false, quiet: false });
 * out.result({ id }, () => `created ${id}`);
 * ```
 * @throws never
 */
export function createOutput(options: OutputOptions, env: NodeJS.ProcessEnv = process.env): Output {
  const style = makeStyle(!options.json && colorEnabled(process.stdout, env));
  return {
    json: options.json,
    quiet: options.quiet,
    style,
    result(data, human) {
      if (options.json) {
        process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
        return;
      }
      const text = human();
      const lines = Array.isArray(text) ? text : [text];
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    },
    info(message) {
      if (!options.quiet && !options.json) process.stderr.write(`${message}\n`);
    },
    warn(message) {
      process.stderr.write(`keywarden: warning: ${message}\n`);
    },
  };
}

/**
 * The code, message and exit code of any thrown value.
 *
 * @example
 * ```ts
 * describeError(new KeywardenError('ERR_NOT_FOUND', 'secret not found')).exitCode; // 3
 * ```
 * @throws never
 */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof CliError)
    return { code: error.code, message: error.message, exitCode: error.exitCode, field: error.field ?? null };
  if (isKeywardenError(error)) {
    return {
      code: error.code,
      message: oneLine(error.message),
      exitCode: exitCodeFor(error.code),
      field: error.field ?? null,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'ERR_INTERNAL',
    message: `unexpected error: ${oneLine(message)}`,
    exitCode: EXIT.INTERNAL,
    field: null,
  };
}

/** What {@link describeError} tells of an error. */
export interface ErrorDescription {
  code: string;
  message: string;
  exitCode: number;
  /** The flag, argument or variable at fault, or null. */
  field: string | null;
}

/**
 * The error as `--json` prints it on stdout: `{ "error": { "code", "message", "field" } }`.
 *
 * @example
 * ```ts
 * jsonError(new CliError('ERR_USAGE', 'missing NAME')); // '{"error":{"code":"ERR_USAGE",...}}'
 * ```
 * @throws never
 */
export function jsonError(error: unknown): string {
  const d = describeError(error);
  return JSON.stringify({ error: { code: d.code, message: d.message, field: d.field } }, null, 2);
}

/**
 * Rewrites a library error so it names what the user typed: a KeywardenError whose `field` (e.g.
 * `expiresIn`) has an entry in `names` (e.g. `--expires-in`) becomes a CliError with the same code
 * and exit code, that name as `field`, and the library name replaced in the message.
 *
 * @example
 * ```ts
 * (renameField(validationError('expiresIn', 'bad'), { expiresIn: '--expires-in' }) as Error).message; // '--expires-in: bad'
 * ```
 * @throws never
 */
export function renameField(error: unknown, names: Readonly<Record<string, string>>): unknown {
  if (!isKeywardenError(error) || error.field === undefined) return error;
  const field = error.field;
  const name = names[field] ?? names[field.split('.')[0] ?? ''];
  if (name === undefined) return error;
  const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const message = oneLine(error.message).replace(new RegExp(`(?<![\\w-])${escaped}(?![\\w])`, 'g'), name);
  return new CliError(error.code, message, exitCodeFor(error.code), name);
}

/**
 * The one-line error: `keywarden: <message> (<ERR_CODE>)`.
 *
 * @example
 * ```ts
 * formatError(new CliError('ERR_USAGE', 'missing NAME')); // 'keywarden: missing NAME (ERR_USAGE)'
 * ```
 * @throws never
 */
export function formatError(error: unknown): string {
  const d = describeError(error);
  return `keywarden: ${d.message} (${d.code})`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * An aligned text table (no borders).
 *
 * @example
 * ```ts
 * table([['ID', 'NAME'], ['abc', 'ci']]); // ['ID   NAME', 'abc  ci']
 * ```
 * @throws never
 */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i] ?? 0, (row[i] as string).length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * A timestamp for humans (ISO 8601, UTC, seconds), or `-` for null.
 *
 * @example
 * ```ts
 * when(0); // '1970-01-01T00:00:00Z'
 * ```
 * @throws never
 */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
