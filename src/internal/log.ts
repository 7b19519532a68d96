/**
 * `createLog`: keywarden's warnings to a user-supplied {@link Logger} (pino, console...). A missing
 * logger or method is a no-op and a throwing logger never fails an operation. Errors are reduced
 * to what cannot carry a secret: a keywarden error keeps its code, field and message (written by
 * keywarden, never holding a secret); any other error only its name (a notifier's driver error may
 * quote a webhook URL or a header). Portable: no node:*.
 * @internal
 * @module
 */
import type { LogFields, Logger } from '../ports/logger.js';

/** The internal logging facade: one method per level, `(message, fields?)`. */
export interface Log {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

/** A log that writes nothing. */
export const SILENT_LOG: Log = Object.freeze({
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
});

/**
 * What may be logged of `error`: `{ name, code?, field?, message? }`; the message only for a
 * keywarden error (its messages name ids and fields, never a secret).
 *
 * @example
 * ```ts
 * declare const e: unknown;
 * const log = createLog(console);
 * log.warn('notifier failed', { event: 'key.rotated', error: describeError(e) });
 * ```
 * @throws never
 */
export function describeError(error: unknown): LogFields {
  if (typeof error !== 'object' || error === null) return { name: typeof error };
  const e = error as { name?: unknown; code?: unknown; field?: unknown; message?: unknown };
  const name = typeof e.name === 'string' ? e.name.slice(0, 64) : 'Error';
  if (name === 'KeywardenError' && typeof e.code === 'string') {
    const out: Record<string, unknown> = { name, code: e.code };
    if (typeof e.field === 'string') out['field'] = e.field;
    if (typeof e.message === 'string') out['message'] = e.message;
    return out;
  }
  return { name };
}

/**
 * Wraps `logger` (or nothing) as a {@link Log}.
 *
 * @example
 * ```ts
 * const log = createLog(console); // or pino(), or any { warn, error } logger
 * log.warn('notifier failed', { event: 'key.rotated' }); // pino: logger.warn({ event }, msg)
 * ```
 * @throws never
 */
export function createLog(logger: Logger | undefined): Log {
  if (logger === undefined) return SILENT_LOG;
  const level =
    (name: keyof Logger) =>
    (message: string, fields: LogFields = {}): void => {
      const method = logger[name];
      if (typeof method !== 'function') return;
      try {
        method.call(logger, { lib: 'keywarden', ...fields }, message);
      } catch {
        // a logger never fails an operation
      }
    };
  return Object.freeze({
    error: level('error'),
    warn: level('warn'),
    info: level('info'),
    debug: level('debug'),
  });
}
