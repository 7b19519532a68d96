/**
 * `--copy`: puts a value on the system clipboard (through `clipboardy`, an optional peer
 * dependency) instead of printing it, and clears it again after 45 seconds, as password managers
 * do: the command waits, and clears at once on Ctrl-C. The clipboard is only cleared if it still
 * holds the value, so something copied meanwhile is left alone.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

/** How long a copied value stays on the clipboard. */
export const CLIPBOARD_CLEAR_MS = 45_000;

/** The part of clipboardy the CLI uses. */
export interface Clipboard {
  write(text: string): Promise<void>;
  read(): Promise<string>;
}

const noClipboard = (why: string) =>
  new CliError(
    'ERR_NO_CLIPBOARD',
    `no clipboard available (${why}); drop --copy to print the value`,
    EXIT.FAILED,
    '--copy',
  );

/**
 * True when this environment can have a clipboard: not Linux without a display (a CI runner, a
 * container, an SSH session), where `--copy` fails fast.
 *
 * @example
 * ```ts
 * clipboardPossible({ DISPLAY: ':0' }, 'linux'); // true
 * ```
 * @throws never
 */
export function clipboardPossible(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return true;
  if (env.WSL_DISTRO_NAME !== undefined) return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/**
 * Loads the clipboard.
 *
 * @example
 * ```ts
 * const clipboard = await loadClipboard(process.env);
 * ```
 * @throws CliError `ERR_NO_CLIPBOARD` (exit 1) where there is none, or when `clipboardy` is not installed.
 */
export async function loadClipboard(env: Readonly<Record<string, string | undefined>>): Promise<Clipboard> {
  if (!clipboardPossible(env)) throw noClipboard('no display: DISPLAY and WAYLAND_DISPLAY are unset');
  try {
    const mod = (await import('clipboardy')) as { default: Clipboard };
    return mod.default;
  } catch {
    throw noClipboard('the clipboardy package is not installed: npm install clipboardy');
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Copies `value`, tells the user on stderr, waits `clearAfterMs` (or Ctrl-C), then clears the
 * clipboard if it still holds `value`.
 *
 * @example
 * ```ts
 * await copyThenClear(await loadClipboard(process.env), token, 'the token', out.info);
 * ```
 * @throws CliError `ERR_NO_CLIPBOARD` when writing to the clipboard fails.
 */
export async function copyThenClear(
  clipboard: Clipboard,
  value: string,
  what: string,
  note: (message: string) => void,
  clearAfterMs = CLIPBOARD_CLEAR_MS,
): Promise<void> {
  try {
    await clipboard.write(value);
  } catch {
    throw noClipboard('writing to it failed');
  }
  note(
    `Copied ${what} to the clipboard; it is cleared in ${Math.round(clearAfterMs / 1000)} s (Ctrl-C clears it now).`,
  );
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      resolve();
    };
    const timer = setTimeout(done, clearAfterMs);
    process.once('SIGINT', done);
  });
  try {
    if (same(await clipboard.read(), value)) await clipboard.write('');
  } catch {
    // a clipboard that went away holds nothing to clear
  }
}
