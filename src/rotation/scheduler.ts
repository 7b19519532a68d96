/**
 * `start` / `stop`: a timer that calls `runDue` every `interval`. Runs never overlap (a tick while a
 * run is in flight is skipped), the timer is unref'd (it never keeps a process alive), and errors go
 * to `onError`, never into the event loop.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { isKeywardenError, KeywardenError } from '../errors.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { RunDueReport, StartOptions } from '../records/rotation-types.js';
import { durationSchema } from '../records/schemas.js';

const startSchema = lazy(() =>
  z.strictObject({
    interval: z.optional(durationSchema.check(z.refine((ms) => ms >= 1000, 'must be at least 1 second'))),
    limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10_000))),
    onError: z.optional(z.custom<(e: unknown) => void>((v) => typeof v === 'function', 'must be a function')),
    onReport: z.optional(
      z.custom<(r: RunDueReport) => void>((v) => typeof v === 'function', 'must be a function'),
    ),
  }),
);

/** Default interval: one minute. */
export const DEFAULT_INTERVAL_MS = 60_000;

/** A scheduler driving one rotator. */
export interface Scheduler {
  start(options?: StartOptions): void;
  stop(): Promise<void>;
  /** True while started. */
  readonly running: boolean;
}

type Timer = ReturnType<typeof setInterval>;

/**
 * Creates a scheduler calling `run(limit)`.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const s = createScheduler((limit) => km.rotator.runDue({ limit, signal: controller.signal }), () => controller.abort());
 * s.start({ interval: '1m' });
 * ```
 * @throws never itself; `start` throws `ERR_VALIDATION` for bad options.
 */
export function createScheduler(
  run: (limit: number) => Promise<RunDueReport>,
  onStop: () => void,
): Scheduler {
  let timer: Timer | null = null;
  let inFlight: Promise<void> | null = null;

  const safe = (fn: ((x: never) => void) | undefined, value: unknown): void => {
    if (!fn) return;
    try {
      (fn as (x: unknown) => void)(value);
    } catch {
      // a failing callback never reaches the event loop
    }
  };

  return {
    get running() {
      return timer !== null;
    },
    start(options?: StartOptions) {
      const o = parseInput(startSchema(), options ?? {}, 'options');
      if (timer !== null) clearInterval(timer);
      const limit = o.limit ?? 100;
      const tick = (): void => {
        if (inFlight) return;
        inFlight = run(limit)
          .then((report) => {
            safe(o.onReport, report);
            for (const f of report.failed) {
              safe(o.onError, new KeywardenError('ERR_ROTATION', `${f.id}: ${f.code}: ${f.message}`));
            }
          })
          .catch((error: unknown) => {
            // the manager was closed: the timer stops itself
            if (isKeywardenError(error, 'ERR_CLOSED') && timer !== null) {
              clearInterval(timer);
              timer = null;
            }
            safe(o.onError, error);
          })
          .finally(() => {
            inFlight = null;
          });
      };
      const t = setInterval(tick, o.interval ?? DEFAULT_INTERVAL_MS);
      (t as { unref?: () => void }).unref?.();
      timer = t;
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      onStop();
      await inFlight;
    },
  };
}
