/**
 * `.env` files: parsing, safe quoting, in-place updates that keep every other line and comment,
 * and atomic private writes (temp file + fsync + rename, mode 0600).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** One assignment found in a dotenv text: its key, value and line span. */
export interface DotenvEntry {
  key: string;
  value: string;
  /** First line (0-based) and the line after the last one. */
  start: number;
  end: number;
  /** True when the line starts with `export `. */
  exported: boolean;
}

const ASSIGN = /^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s?(.*)$/;

/**
 * Parses a dotenv text: `KEY=value`, `export KEY=value`, `#` comments, single quotes (literal),
 * double quotes (`\n`, `\r`, `\t`, `\\`, `\"` escapes, may span lines) and backticks.
 *
 * @example
 * ```ts
 * parseDotenv('# db\nDB_URL="postgres://x"\n'); // [{ key: 'DB_URL', value: 'postgres://x', ... }]
 * ```
 * @throws never (lines that are not assignments are skipped)
 */
export function parseDotenv(text: string): DotenvEntry[] {
  const lines = text.split(/\r?\n/);
  const out: DotenvEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = ASSIGN.exec(lines[i] as string);
    if (!m) continue;
    const key = m[2] as string;
    let rest = (m[3] as string).trimStart();
    const start = i;
    const quote = rest[0];
    let value: string;
    if (quote === '"' || quote === "'" || quote === '`') {
      let body = rest.slice(1);
      let close = findClose(body, quote);
      while (close < 0 && quote !== "'" && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i] as string}`;
        close = findClose(body, quote);
      }
      if (close < 0) {
        value = rest.slice(1);
      } else {
        value = body.slice(0, close);
        if (quote === '"') value = unescapeDouble(value);
      }
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = rest.trim();
    }
    out.push({ key, value, start, end: i + 1, exported: m[1] !== undefined });
  }
  return out;
}

function findClose(body: string, quote: string): number {
  for (let j = 0; j < body.length; j++) {
    if (quote === '"' && body[j] === '\\') {
      j++;
      continue;
    }
    if (body[j] === quote) return j;
  }
  return -1;
}

function unescapeDouble(text: string): string {
  return text.replace(/\\([nrt"\\$])/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c,
  );
}

/**
 * Quotes a value for a dotenv file: bare when it is plainly safe, single quotes when possible
 * (literal everywhere), else double quotes with escapes.
 *
 * @example
 * ```ts
 * quoteDotenv('abc'); // 'abc'
 * quoteDotenv('a b'); // "'a b'"
 * ```
 * @throws never
 */
export function quoteDotenv(value: string): string {
  if (/^[A-Za-z0-9_./:@%+,=-]*$/.test(value)) return value;
  if (!/['\n\r]/.test(value)) return `'${value}'`;
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '\\$')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
  return `"${escaped}"`;
}

/**
 * Sets `values` in a dotenv text: an existing assignment is replaced where it stands (keeping its
 * `export`), later duplicates of it are dropped, new keys are appended; every other line, blank
 * line and comment is kept byte for byte.
 *
 * @example
 * ```ts
 * updateDotenv('# keep\nA=1\n', { A: '2', B: 'x' }); // '# keep\nA=2\nB=x\n'
 * ```
 * @throws never
 */
export function updateDotenv(text: string, values: Readonly<Record<string, string>>): string {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  const trailing = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const entries = parseDotenv(lines.join('\n'));
  const done = new Set<string>();
  const replaced: (string | null)[] = lines.slice();
  for (const e of entries) {
    if (!Object.hasOwn(values, e.key)) continue;
    for (let i = e.start; i < e.end; i++) replaced[i] = null;
    if (done.has(e.key)) continue;
    done.add(e.key);
    replaced[e.start] = `${e.exported ? 'export ' : ''}${e.key}=${quoteDotenv(values[e.key] as string)}`;
  }
  const out = replaced.filter((l): l is string => l !== null);
  for (const [key, value] of Object.entries(values)) {
    if (!done.has(key)) out.push(`${key}=${quoteDotenv(value)}`);
  }
  return out.length === 0 ? '' : `${out.join(newline)}${newline}`;
}

/**
 * Writes `text` to `file` atomically and privately: a temp file (mode 0600) in the same folder,
 * fsync, rename over the target, fsync of the folder, then mode 0600.
 *
 * @example
 * ```ts
 * await writePrivateFile('.env', 'KEY=value\n');
 * ```
 * @throws Error from the file system (the temp file is removed on failure).
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await chmod(file, 0o600);
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  }
}

/**
 * Reads a file as UTF-8, or null when it does not exist.
 *
 * @example
 * ```ts
 * const text = (await readTextIfExists('.env')) ?? '';
 * ```
 * @throws Error from the file system other than ENOENT.
 */
export async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
