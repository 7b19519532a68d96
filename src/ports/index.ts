/** Port interfaces (types only). @module */

export type * from './clock.js';
export type * from './json.js';
export type * from './kms.js';
export type * from './logger.js';
export type * from './metrics.js';
export type * from './notifier.js';
export type * from './rate-limiter.js';
export type * from './storage.js';
export type * from './usage.js';
