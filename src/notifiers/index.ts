/**
 * Notifiers: tell people about key lifecycle events. A notifier failure never fails the operation
 * that caused it (the manager catches it).
 *
 * @example
 * ```ts
 * declare const url: string | URL;
 * import { multiNotifier, consoleNotifier, webhookNotifier } from 'keywarden/notifiers';
 * const notifier = multiNotifier(consoleNotifier(), webhookNotifier({ url, secret }));
 * ```
 * @module
 */
export { callbackNotifier, type KeyEventCallback } from './callback.js';
export {
  type ConsoleNotifierOptions,
  consoleNotifier,
  formatKeyEvent,
  type NotifierLogger,
} from './console.js';
export { multiNotifier } from './multi.js';
export {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  type SignWebhookPayloadOptions,
  signWebhookPayload,
  type VerifyWebhookSignatureOptions,
  verifyWebhookSignature,
  type WebhookSecret,
} from './signature.js';
export {
  generateWebhookSecret,
  type SignStandardWebhookOptions,
  type StandardWebhookSecret,
  signStandardWebhook,
  type VerifyStandardWebhookOptions,
  verifyStandardWebhook,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type WebhookRequestHeaders,
} from './standard-webhooks.js';
export { type WebhookNotifier, type WebhookNotifierOptions, webhookNotifier } from './webhook.js';
