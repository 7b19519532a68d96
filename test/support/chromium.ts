/**
 * A real headless Chromium for browser tests: the binary that `@sparticuz/chromium` ships in its
 * npm package (no download, no apt), driven by `playwright-core`. The package unpacks its binary
 * into `os.tmpdir()` and reuses whatever `chromium` file it finds there; so that no other user of a
 * shared /tmp can plant one, it unpacks into node_modules/.cache/keywarden-chromium of this clone
 * (0700) instead.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const CACHE = resolve(import.meta.dirname, '../../node_modules/.cache/keywarden-chromium');

/**
 * Launch flags. Not the package's own list: it switches off the same-origin policy and site
 * isolation (--disable-web-security ...) and runs everything in one process (--single-process),
 * where closing a browser context kills the browser. Root needs --no-sandbox.
 */
const ARGS = ['--no-sandbox', '--no-zygote', '--in-process-gpu', '--use-gl=angle', '--use-angle=swiftshader'];

/** Unpacks the binary (once per clone) and returns its path. */
async function chromiumBinary(): Promise<string> {
  await mkdir(CACHE, { recursive: true, mode: 0o700 });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = CACHE; // os.tmpdir() reads it on every call (also for the fonts it unpacks)
  try {
    const { default: sparticuz } = await import('@sparticuz/chromium');
    return await sparticuz.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

/** Launches the headless Chromium. Close it in afterAll. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await chromiumBinary();
  return chromium.launch({ executablePath, args: ARGS, headless: true });
}

/** Where browser tests save their screenshots (ignored by git). */
export const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results/console');

/** The path of one screenshot. */
export function screenshotPath(name: string): string {
  return join(SCREENSHOTS, `${name}.png`);
}
