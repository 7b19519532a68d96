/**
 * `consoleNotifier`: one log line per event.
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { KeyEvent, Notifier } from '../ports/notifier.js';

/** The logger a {@link consoleNotifier} writes to; `console` fits, and so do most loggers. */
export interface NotifierLogger {
  /** Gets the formatted line of each event not logged at `warn` (only `msg` is passed). */
  info(msg: string, data?: object): void;
  /** Optional: gets the line of events that need attention (`rotation.failed`, `key.expiring`, `key.expired`, `security.*`). */
  warn?(msg: string, data?: object): void;
}

/** Options for {@link consoleNotifier}. */
export interface ConsoleNotifierOptions {
  /** Default `globalThis.console`. */
  logger?: NotifierLogger;
  /** `'text'` (default): `keywarden key.rotated keyId=... name=...`; `'json'`: one JSON object. */
  format?: 'text' | 'json';
}

/** Events logged at `warn` (when the logger has it): something needs attention. */
const WARN_TYPES = new Set<string>([
  'rotation.failed',
  'key.expiring',
  'key.expired',
  'security.token_leaked',
  'security.verify_failures',
  'security.ip_failures',
  'security.new_network',
  'security.usage_spike',
  'security.violations',
]);

type Field = string | number | null | undefined;

/** The fields a line shows: the event's identity, then a few type-specific ones. Nothing else. */
function lineFields(event: KeyEvent): [string, Field][] {
  const fields: [string, Field][] = [
    ['type', event.type],
    ['keyId', event.keyId],
    ['kind', event.kind],
    ['name', event.name],
    ['version', event.version],
    ['environment', event.environment],
    ['tenantId', event.tenantId ?? undefined],
  ];
  switch (event.type) {
    case 'key.rotated':
      fields.push(['previousVersion', event.previousVersion], ['strategy', event.strategy]);
      break;
    case 'key.expiring':
      if (event.reason === 'rotation' && event.rotatesAt !== null)
        fields.push(['rotatesAt', isoTime(event.rotatesAt)]);
      else fields.push(['expiresAt', isoTime(event.expiresAt)]);
      fields.push(['reason', event.reason]);
      if (event.late) fields.push(['late', 'true']);
      break;
    case 'key.expired':
      fields.push(['expiresAt', isoTime(event.expiresAt)]);
      break;
    case 'key.revoked':
      fields.push(['reason', event.reason ?? undefined]);
      break;
    case 'key.rolled_back':
      fields.push(['fromVersion', event.fromVersion]);
      break;
    case 'security.token_leaked':
      fields.push(['source', event.source ?? undefined], ['revoked', String(event.revoked)]);
      break;
    case 'security.verify_failures':
    case 'security.ip_failures':
    case 'security.new_network':
    case 'security.usage_spike':
    case 'security.violations':
      fields.push(
        ['count', event.count],
        ['network', event.network ?? undefined],
        ['sessionId', event.sessionId ?? undefined],
        ['action', event.action],
      );
      break;
    case 'rotation.failed':
      fields.push(
        ['step', event.step],
        ['error', event.error?.code],
        ['attempt', event.attempt],
        ['nextAttemptAt', event.nextAttemptAt === null ? undefined : isoTime(event.nextAttemptAt)],
      );
      break;
    case 'access.requested':
    case 'access.approved':
    case 'access.denied':
    case 'access.cancelled':
    case 'access.expired':
    case 'access.session_opened':
    case 'access.session_ended':
    case 'access.violation':
      fields.push(
        ['agentId', event.agentId ?? undefined],
        ['onBehalfOf', event.onBehalfOf ?? undefined],
        ['sessionId', event.sessionId ?? undefined],
        ['approver', 'approver' in event ? event.approver : undefined],
        ['reason', 'reason' in event ? event.reason : undefined],
      );
      break;
    default:
      break;
  }
  return fields.filter(([, v]) => v !== undefined);
}

function isoTime(ms: unknown): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** JSON.stringify leaves U+2028/2029 and C1 controls raw; escape them so a line stays one line. */
function oneLine(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const BARE = /^[A-Za-z0-9_.:/@+-]{1,128}$/;

function textValue(v: string | number | null): string {
  if (typeof v === 'number' || v === null) return String(v);
  return BARE.test(v) ? v : oneLine(JSON.stringify(v));
}

/**
 * Formats one event as a single line (`'text'` or `'json'`). Only fields of the event appear.
 *
 * @example
 * ```ts
 * declare const event: KeyEvent;
 * formatKeyEvent(event, 'text');
 * // 'keywarden key.rotated keyId=a1B2c3D4e5F6 kind=key name=signing version=3 environment=production ...'
 * ```
 * @throws never for a valid event.
 */
export function formatKeyEvent(event: KeyEvent, format: 'text' | 'json' = 'text'): string {
  const fields = lineFields(event);
  if (format === 'json') {
    const obj: Record<string, string | number | null> = {};
    for (const [k, v] of fields) obj[k] = v as string | number | null;
    return oneLine(JSON.stringify(obj));
  }
  const [, type] = fields[0] ?? ['type', 'unknown'];
  const rest = fields.slice(1).map(([k, v]) => `${k}=${textValue(v as string | number | null)}`);
  return ['keywarden', textValue(type as string), ...rest].join(' ');
}

/**
 * A notifier that logs one line per event: `warn` for `rotation.failed`, `key.expiring`,
 * `key.expired` and every `security.*` event (when the logger has `warn`), `info` otherwise. The
 * line holds the event's type,
 * keyId, kind, name, version, environment, tenant and a few type-specific fields; values are
 * escaped so a name can never break the line or forge another one.
 *
 * @example
 * ```ts
 * const km = createKeyManager({ storage, kms, notifier: consoleNotifier({ format: 'json' }) });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `logger`, `logger.warn` or `format`. `notify`
 *   rejects with `ERR_NOTIFY` if the logger throws.
 */
export function consoleNotifier(options: ConsoleNotifierOptions = {}): Notifier {
  if (typeof options !== 'object' || options === null) {
    throw new KeywardenError('ERR_VALIDATION', 'options must be an object', { field: 'options' });
  }
  const logger: NotifierLogger = options.logger === undefined ? globalThis.console : options.logger;
  const format = options.format === undefined ? 'text' : options.format;
  if (typeof logger !== 'object' || logger === null || typeof logger.info !== 'function') {
    throw new KeywardenError('ERR_VALIDATION', 'logger must have an info(msg) method', { field: 'logger' });
  }
  if (logger.warn !== undefined && typeof logger.warn !== 'function') {
    throw new KeywardenError('ERR_VALIDATION', 'logger.warn must be a function', { field: 'logger.warn' });
  }
  if (format !== 'text' && format !== 'json') {
    throw new KeywardenError('ERR_VALIDATION', "format must be 'text' or 'json'", { field: 'format' });
  }
  return Object.freeze({
    async notify(event: KeyEvent): Promise<void> {
      try {
        const line = formatKeyEvent(event, format);
        if (WARN_TYPES.has(event.type) && typeof logger.warn === 'function') logger.warn(line);
        else logger.info(line);
      } catch (error) {
        throw new KeywardenError('ERR_NOTIFY', 'console notifier failed', { cause: error });
      }
    },
  });
}
