/**
 * The console's static files: the HTML shell, the stylesheet, the icon, and the page script
 * (`consoleApp` from ./app.ts, served as `/console/app.js`). Nothing is inline and nothing comes
 * from another origin, so the Content-Security-Policy can be `script-src 'self'; style-src 'self'`.
 * @module
 */
import { consoleApp } from './app.js';

const NAV: [string, string][] = [
  ['#/', 'Overview'],
  ['#/api-keys', 'API keys'],
  ['#/secrets', 'Secrets'],
  ['#/signing-keys', 'Signing keys'],
  ['#/rotation', 'Rotation'],
  ['#/access', 'Access'],
  ['#/audit', 'Audit'],
];

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const HEAD =
  '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<meta name="referrer" content="no-referrer">' +
  '<title>keywarden console</title>' +
  '<link rel="icon" href="/console/favicon.svg" type="image/svg+xml">' +
  '<link rel="stylesheet" href="/console/app.css">';

/** The page every console view is rendered into by the script. */
export const SHELL_HTML = `${HEAD}<script type="module" src="/console/app.js"></script></head><body>
<a class="skip" href="#main">Skip to content</a>
<header><p class="brand">keywarden console</p>
<nav aria-label="Sections"><ul>${NAV.map(([href, label]) => `<li><a href="${href}">${label}</a></li>`).join('')}</ul></nav>
<p class="who" id="who"></p><button type="button" id="logout" hidden>Log out</button></header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<div id="status" class="status" role="status" aria-live="polite"></div>
</body></html>`;

/**
 * The page shown for a login link that does not work (no script).
 *
 * @example
 * ```ts
 * loginPage('This login link expired.');
 * ```
 * @throws never
 */
export function loginPage(message: string): string {
  return `${HEAD}</head><body><main id="main"><h1>keywarden console</h1><p role="alert">${escapeHtml(message)}</p>
<p>Press Enter in the terminal running <code>keywarden console</code> for a new link.</p></main></body></html>`;
}

/**
 * The page script: the console app, started when the module loads. Transpilers that keep function
 * names (tsx, some test runners) wrap inner functions in a `__name(fn, 'name')` helper defined at
 * their module's top, outside the function's source: the no-op here stands in for it.
 */
export const APP_JS = `(() => {\nconst __name = (fn) => fn;\n(${consoleApp.toString()})();\n})();\n`;

/** The icon (a key), so the browser does not ask for a missing /favicon.ico. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="5" cy="8" r="3.5" fill="none" stroke="#1d4ed8" stroke-width="2"/><path d="M8.5 8h6M12 8v3M14.5 8v2" stroke="#1d4ed8" stroke-width="2"/></svg>';

/** The stylesheet: readable from 390 px wide up, visible focus, no external fonts. */
export const APP_CSS = `
:root { color-scheme: light dark; --accent: #1d4ed8; --danger: #b91c1c; --muted: #6b7280; --line: #d1d5db; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: Canvas; padding: 4px 8px; z-index: 10; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 8px 16px; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; margin: 0; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 12px; list-style: none; margin: 0; padding: 0; }
nav a { color: var(--accent); text-decoration: none; padding: 2px 0; }
nav a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid var(--accent); }
.who { margin: 0 0 0 auto; color: var(--muted); font-size: 13px; }
main { padding: 12px 16px 48px; max-width: 1100px; }
main:focus { outline: none; }
h1 { font-size: 20px; margin: 8px 0 12px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; word-break: break-all; }
form.inline { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; margin: 8px 0; }
label { display: flex; flex-direction: column; font-size: 13px; gap: 2px; }
input, select, button { font: inherit; padding: 4px 8px; }
input, select { min-width: 0; max-width: 100%; }
button { cursor: pointer; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; }
button.secondary { background: transparent; color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
.actions { display: flex; flex-wrap: wrap; gap: 6px; }
.once { border: 2px solid var(--accent); padding: 8px 12px; margin: 12px 0; border-radius: 4px; }
.once output, .revealed output { display: block; font-family: ui-monospace, monospace; word-break: break-all; margin: 6px 0; }
.revealed { border: 2px dashed var(--danger); padding: 8px 12px; margin: 12px 0; }
pre { overflow-x: auto; font-size: 12px; padding: 8px; border: 1px solid var(--line); }
.status { position: fixed; bottom: 0; left: 0; right: 0; padding: 6px 16px; font-size: 14px; }
.status:empty { display: none; }
.status.error { background: #fee2e2; color: #7f1d1d; }
.status.ok { background: #dcfce7; color: #14532d; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 4px; padding: 8px 12px; }
.card strong { display: block; font-size: 22px; }
`;
