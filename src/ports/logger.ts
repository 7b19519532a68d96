/**
 * The logger keywarden writes its warnings to: the shape of pino, bunyan, winston's child loggers
 * and `console`. Each method is called either as `(fields, message)` (pino style) or, for a
 * logger marked `console`-like, the same arguments, which `console` prints as well. Types only.
 * @module
 */

/** Structured fields of a log line. Never a token, secret value, key material or password. */
export type LogFields = Readonly<Record<string, unknown>>;

/** One log method: `(fields, message)`, as pino takes it (console prints both too). */
export type LogMethod = (fields: LogFields, message: string) => void;

/**
 * A logger: `{ error, warn, info, debug }`. Missing methods are skipped; a logger that throws never
 * fails an operation.
 */
export interface Logger {
  /** Failures that refuse an operation or lose an alert (an audit write failed, the security monitor failed). */
  error?: LogMethod;
  /** Failures keywarden works around (a notifier failed, a usage flush failed and keeps its counts, CAS retries exhausted). */
  warn?: LogMethod;
  /** Notable events that are not failures (e.g. verify failures throttled in the audit log). */
  info?: LogMethod;
  /** Detail for debugging; keywarden writes little or nothing here. */
  debug?: LogMethod;
}
