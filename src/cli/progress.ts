/**
 * A small progress bar on stderr, drawn only when stderr is a terminal (never in pipes, CI logs or
 * with `--json` / `--quiet`).
 * @module
 */

/** Reports progress; `done()` clears the line. */
export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

const NOOP: Progress = { update() {}, done() {} };

/**
 * A progress bar labelled `label`, or a no-op when stderr is not a TTY or `enabled` is false.
 *
 * @example
 * ```ts
 * const bar = progressBar('import', !out.quiet && !out.json);
 * await km.backup.import(bundle, { onProgress: bar.update });
 * bar.done();
 * ```
 * @throws never
 */
export function progressBar(
  label: string,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!enabled || stream.isTTY !== true) return NOOP;
  let last = -1;
  let drawn = false;
  return {
    update(done, total) {
      const ratio = total <= 0 ? 1 : Math.min(1, done / total);
      const pct = Math.floor(ratio * 100);
      if (pct === last) return;
      last = pct;
      const width = 30;
      const filled = Math.round(ratio * width);
      stream.write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}% ${done}/${total}`,
      );
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
