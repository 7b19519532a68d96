/**
 * The console's page script. `consoleApp` is served as the source of one function
 * (`(${consoleApp})()`), so it must stay self-contained: it may use only browser globals and what
 * it declares inside, never an import. It talks only to `/console/session` and `/api/*` (the
 * management API) with the session's CSRF token, and builds every element with `textContent`
 * (never HTML from data). A revealed secret or a new token lives in the page only until the view
 * changes.
 * @module
 */

/**
 * Runs the console in the browser: hash routing between the views, forms for the management
 * API, write buttons only for the scopes the operator key holds.
 *
 * @example
 * ```ts
 * const js = `(${consoleApp.toString()})();`; // served as /console/app.js
 * ```
 * @throws never (failures are shown in the status line).
 */
export function consoleApp(): void {
  type Json = Record<string, unknown>;
  type Child = Node | string | null | undefined | false;
  interface Problem {
    status: number;
    code?: string;
    detail?: string;
  }

  const main = document.getElementById('main') as HTMLElement;
  const statusLine = document.getElementById('status') as HTMLElement;
  let csrf = '';
  let scopes: string[] = [];
  let renderToken = 0;

  // ---- small DOM helpers ----------------------------------------------------------------------

  function h(tag: string, attrs: Record<string, string | boolean> = {}, ...children: Child[]): HTMLElement {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === false) continue;
      el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      el.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }

  function button(label: string, onClick: () => void | Promise<void>, kind = ''): HTMLButtonElement {
    const b = h('button', { type: 'button', class: kind }, label) as HTMLButtonElement;
    b.addEventListener('click', () => {
      void run(onClick);
    });
    return b;
  }

  function field(label: string, input: HTMLElement): HTMLElement {
    return h('label', {}, label, input);
  }

  function input(name: string, attrs: Record<string, string | boolean> = {}): HTMLInputElement {
    return h('input', { name, autocomplete: 'off', ...attrs }) as HTMLInputElement;
  }

  function table(headers: string[], rows: Child[][], caption: string): HTMLElement {
    if (rows.length === 0) return h('p', { class: 'muted' }, `No ${caption.toLowerCase()}.`);
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('caption', { class: 'skip' }, caption),
        h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
      ),
    );
  }

  function when(ms: unknown): string {
    return typeof ms === 'number' ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '—';
  }

  function say(message: string, kind: 'ok' | 'error'): void {
    statusLine.className = `status ${kind}`;
    statusLine.textContent = message;
  }

  function can(scope: string): boolean {
    return scopes.includes(scope) || scopes.includes('keywarden:admin') || scopes.includes('keywarden:*');
  }

  async function run(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      const p = error as Problem;
      say(p.detail ? `${p.detail}${p.code ? ` (${p.code})` : ''}` : 'Request failed', 'error');
    }
  }

  // ---- the management API ---------------------------------------------------------------------

  async function api(method: string, path: string, body?: unknown): Promise<Json> {
    const headers: Record<string, string> = { 'x-csrf-token': csrf, accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`/api${path}`, init);
    const text = await res.text();
    const json = text.length > 0 ? (JSON.parse(text) as Json) : {};
    if (!res.ok) {
      if (res.status === 401) showLoggedOut();
      throw { status: res.status, code: json.code, detail: json.detail } as Problem;
    }
    return json;
  }

  const items = (page: Json): Json[] => (Array.isArray(page.items) ? (page.items as Json[]) : []);
  const enc = encodeURIComponent;
  const str = (v: unknown): string => (v === null || v === undefined ? '—' : String(v));

  function showLoggedOut(): void {
    renderToken++;
    (document.getElementById('logout') as HTMLElement).hidden = true;
    (document.getElementById('who') as HTMLElement).textContent = '';
    main.replaceChildren(
      h('h1', {}, 'Not logged in'),
      h('p', {}, 'Open the one-time login link printed by keywarden console in your terminal.'),
    );
  }

  // ---- views ----------------------------------------------------------------------------------

  type View = (view: HTMLElement, refresh: () => void) => Promise<void>;

  const overview: View = async (view) => {
    const [keys, secrets, due, pending, chain] = await Promise.all([
      api('GET', '/api-keys?limit=1000'),
      api('GET', '/secrets?limit=1000'),
      api('GET', '/rotation/due'),
      api('GET', '/access/requests?status=pending').catch(() => null),
      api('GET', '/audit/verify'),
    ]);
    const card = (label: string, value: string, href: string) =>
      h('a', { class: 'card', href }, h('strong', {}, value), label);
    view.append(
      h('h1', {}, 'Overview'),
      h(
        'div',
        { class: 'cards' },
        card('API keys', String(items(keys).length), '#/api-keys'),
        card('Secrets', String(items(secrets).length), '#/secrets'),
        card('Rotations due', String(items(due).length), '#/rotation'),
        card('Pending requests', pending === null ? '—' : String(items(pending).length), '#/access'),
        card('Audit chain', chain.ok === true ? `intact (${str(chain.count)})` : 'BROKEN', '#/audit'),
      ),
    );
  };

  /** Shows a new token once in `area` (replacing whatever was there), with a copy button. */
  function showOnce(area: HTMLElement, title: string, token: string): void {
    const box = h(
      'section',
      { class: 'once', tabindex: '-1', 'aria-labelledby': 'once-title' },
      h('h2', { id: 'once-title' }, `${title}: copy the token now`),
      h('p', {}, 'It is shown only this once; keywarden keeps only its hash.'),
      h('output', { 'aria-label': 'New API key token' }, token),
      h(
        'div',
        { class: 'actions' },
        button('Copy token', async () => {
          await navigator.clipboard.writeText(token);
          say('Token copied', 'ok');
        }),
        button('Done', () => box.remove(), 'secondary'),
      ),
    );
    area.replaceChildren(box);
    box.focus();
  }

  const apiKeys: View = async (view) => {
    // the list reloads in place, so a token shown once stays until the view changes
    const onceArea = h('div', {});
    const listArea = h('div', {});
    const loadList = async (): Promise<void> => {
      const page = await api('GET', '/api-keys?limit=200');
      listArea.replaceChildren(keyTable(items(page), onceArea, loadList));
    };
    await loadList();
    view.append(h('h1', {}, 'API keys'));
    if (can('keywarden:write')) {
      const name = input('name', { required: true, maxlength: '128' });
      const owner = input('ownerId', { maxlength: '128' });
      const keyScopes = input('scopes', { placeholder: 'invoices:read, invoices:write' });
      const expires = input('expiresIn', { placeholder: '90d' });
      const form = h(
        'form',
        { class: 'inline', 'aria-label': 'Create an API key' },
        field('Name', name),
        field('Owner', owner),
        field('Scopes (comma separated)', keyScopes),
        field('Expires in', expires),
        h('button', { type: 'submit' }, 'Create key'),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void run(async () => {
          const body: Json = { name: name.value.trim() };
          if (owner.value.trim()) body.ownerId = owner.value.trim();
          const list = keyScopes.value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0);
          if (list.length > 0) body.scopes = list;
          if (expires.value.trim()) body.expiresIn = expires.value.trim();
          const created = await api('POST', '/api-keys', body);
          const key = created.key as Json;
          showOnce(onceArea, `New key ${str(key.name)}`, String(created.token));
          name.value = '';
          say(`Created ${str(key.name)}`, 'ok');
          await loadList();
        });
      });
      view.append(h('h2', {}, 'Create'), form);
    }
    view.append(onceArea, h('h2', {}, 'Keys'), listArea);
  };

  function keyTable(keys: Json[], onceArea: HTMLElement, reload: () => Promise<void>): HTMLElement {
    const writer = can('keywarden:write');
    return table(
      ['Name', 'Id', 'Start', 'Owner', 'Scopes', 'Status', 'Version', 'Created', ''],
      keys.map((k) => [
        str(k.name),
        h('code', {}, str(k.id)),
        h('code', {}, `${str(k.start)}…`),
        str(k.ownerId),
        (k.scopes as string[]).join(', '),
        str(k.status),
        str(k.version),
        when(k.createdAt),
        writer && k.status !== 'revoked'
          ? h(
              'div',
              { class: 'actions' },
              k.status === 'active'
                ? button(
                    `Rotate ${str(k.name)}`,
                    async () => {
                      const ask = `Rotate the API key ${str(k.name)}? The old token keeps working for the overlap of its policy.`;
                      if (!window.confirm(ask)) return;
                      const r = await api('POST', `/api-keys/${enc(String(k.id))}/rotate`, {});
                      showOnce(onceArea, `${str(k.name)} version ${str(r.version)}`, String(r.token));
                      say(`Rotated ${str(k.name)}`, 'ok');
                      await reload();
                    },
                    'secondary',
                  )
                : null,
              button(
                `Revoke ${str(k.name)}`,
                async () => {
                  if (!window.confirm(`Revoke the API key ${str(k.name)}? Its holders lose access at once.`))
                    return;
                  await api('POST', `/api-keys/${enc(String(k.id))}/revoke`, {
                    reason: 'revoked in the console',
                  });
                  say(`Revoked ${str(k.name)}`, 'ok');
                  await reload();
                },
                'danger',
              ),
            )
          : null,
      ]),
      'API keys',
    );
  }

  const secrets: View = async (view, refresh) => {
    const page = await api('GET', '/secrets?limit=200');
    view.append(h('h1', {}, 'Secrets'));
    if (can('keywarden:write')) {
      const name = input('name', { required: true, maxlength: '128' });
      const value = input('value', { type: 'password', required: true });
      const env = input('environment', { placeholder: 'default' });
      const form = h(
        'form',
        { class: 'inline', 'aria-label': 'Set a secret' },
        field('Name', name),
        field('Value', value),
        field('Environment', env),
        h('button', { type: 'submit' }, 'Set secret'),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void run(async () => {
          const q = env.value.trim() ? `?environment=${enc(env.value.trim())}` : '';
          await api('PUT', `/secrets/${enc(name.value.trim())}${q}`, { value: value.value });
          value.value = '';
          say(`Set ${name.value.trim()}`, 'ok');
          refresh();
        });
      });
      view.append(h('h2', {}, 'Set'), form);
    }
    const revealArea = h('div', {});
    view.append(
      h('h2', {}, 'Secrets'),
      table(
        ['Name', 'Environment', 'Version', 'Versions', 'Status', 'Updated', ''],
        items(page).map((s) => [
          h('code', {}, str(s.name)),
          str(s.environment),
          str(s.version),
          str(s.versionCount),
          str(s.status),
          when(s.updatedAt),
          can('keywarden:reveal')
            ? button(
                `Reveal ${str(s.name)}`,
                async () => {
                  const label = `${str(s.name)} (${str(s.environment)})`;
                  if (!window.confirm(`Reveal the value of ${label}? This is recorded in the audit log.`))
                    return;
                  const r = await api(
                    'POST',
                    `/secrets/${enc(String(s.name))}/reveal?environment=${enc(String(s.environment))}`,
                    {},
                  );
                  const box = h(
                    'section',
                    { class: 'revealed', 'aria-label': `Value of ${label}` },
                    h('p', {}, `Value of ${label}, version ${str(s.version)}:`),
                    h('output', {}, String(r.value)),
                    button('Hide', () => box.remove(), 'secondary'),
                  );
                  revealArea.replaceChildren(box);
                },
                'secondary',
              )
            : null,
        ]),
        'Secrets',
      ),
      revealArea,
    );
  };

  const signingKeys: View = async (view, refresh) => {
    const page = await api('GET', '/signing-keys?limit=200');
    view.append(h('h1', {}, 'Signing keys'));
    if (can('keywarden:write')) {
      const name = input('name', { required: true, maxlength: '128' });
      const type = h(
        'select',
        { name: 'type' },
        ...['ed25519', 'ecdsa', 'rsa', 'hmac', 'aes'].map((t) => h('option', { value: t }, t)),
      ) as HTMLSelectElement;
      const form = h(
        'form',
        { class: 'inline', 'aria-label': 'Create a signing key' },
        field('Name', name),
        field('Type', type),
        h('button', { type: 'submit' }, 'Create signing key'),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void run(async () => {
          await api('POST', '/signing-keys', { name: name.value.trim(), type: type.value });
          say(`Created ${name.value.trim()}`, 'ok');
          refresh();
        });
      });
      view.append(h('h2', {}, 'Create'), form);
    }
    const jwksArea = h('div', {});
    view.append(
      h('h2', {}, 'Keys'),
      table(
        ['Name', 'Type', 'Algorithm', 'Version', 'Kid', 'Status', ''],
        items(page).map((k) => [
          h('code', {}, str(k.name)),
          str(k.type),
          str(k.algorithm),
          str(k.version),
          h('code', {}, str(k.kid)),
          str(k.status),
          h(
            'div',
            { class: 'actions' },
            k.type === 'hmac' || k.type === 'aes'
              ? null
              : button(
                  `JWKS of ${str(k.name)}`,
                  async () => {
                    const jwks = await api(
                      'GET',
                      `/signing-keys/${enc(String(k.name))}/jwks?environment=${enc(String(k.environment))}`,
                    );
                    jwksArea.replaceChildren(
                      h('h2', {}, `JWKS of ${str(k.name)}`),
                      h('pre', {}, JSON.stringify(jwks, null, 2)),
                    );
                  },
                  'secondary',
                ),
            can('keywarden:write')
              ? button(`Rotate ${str(k.name)}`, async () => {
                  if (!window.confirm(`Rotate the signing key ${str(k.name)}?`)) return;
                  await api(
                    'POST',
                    `/signing-keys/${enc(String(k.name))}/rotate?environment=${enc(String(k.environment))}`,
                    {},
                  );
                  say(`Rotated ${str(k.name)}`, 'ok');
                  refresh();
                })
              : null,
          ),
        ]),
        'Signing keys',
      ),
      jwksArea,
    );
  };

  const rotation: View = async (view, refresh) => {
    const due = await api('GET', '/rotation/due');
    const report = h('div', {});
    view.append(
      h('h1', {}, 'Rotation'),
      h('h2', {}, 'Due now'),
      table(
        ['Kind', 'Name', 'Environment', 'Due at'],
        items(due).map((d) => [str(d.kind), h('code', {}, str(d.name)), str(d.environment), when(d.dueAt)]),
        'Due rotations',
      ),
    );
    if (can('keywarden:write')) {
      const runDue = (dryRun: boolean) => async () => {
        if (!dryRun && !window.confirm('Rotate everything that is due now?')) return;
        const r = await api('POST', '/rotation/run', { dryRun });
        report.replaceChildren(
          h('h2', {}, dryRun ? 'Dry run' : 'Run'),
          h('pre', {}, JSON.stringify(r, null, 2)),
        );
        if (!dryRun) {
          say('Rotation run finished', 'ok');
          refresh();
        }
      };
      view.append(
        h(
          'div',
          { class: 'actions' },
          button('Dry run', runDue(true), 'secondary'),
          button('Run due rotations now', runDue(false)),
        ),
      );
    }
    view.append(report);
  };

  const access: View = async (view, refresh) => {
    const [requests, sessions] = await Promise.all([
      api('GET', '/access/requests?limit=200'),
      api('GET', '/access/sessions?limit=200'),
    ]);
    const approver = can('keywarden:approve');
    view.append(
      h('h1', {}, 'Access'),
      h('h2', {}, 'Requests'),
      table(
        ['Agent', 'Tool', 'Justification', 'Asked for', 'Status', 'Created', ''],
        items(requests).map((r) => {
          const asked = r.requested as { duration?: number } | undefined;
          let actions: Child = null;
          if (approver && r.status === 'pending') {
            const duration = input('duration', { placeholder: 'e.g. 15m', size: '6' });
            const reason = input('reason', { placeholder: 'reason', size: '10' });
            actions = h(
              'div',
              { class: 'actions' },
              field('Shorter duration', duration),
              button(`Approve ${str(r.id)}`, async () => {
                const body: Json = {};
                if (duration.value.trim()) body.duration = duration.value.trim();
                await api('POST', `/access/requests/${enc(String(r.id))}/approve`, body);
                say(`Approved ${str(r.id)}`, 'ok');
                refresh();
              }),
              field('Deny reason', reason),
              button(
                `Deny ${str(r.id)}`,
                async () => {
                  if (!reason.value.trim()) {
                    say('A reason is required to deny', 'error');
                    reason.focus();
                    return;
                  }
                  await api('POST', `/access/requests/${enc(String(r.id))}/deny`, {
                    reason: reason.value.trim(),
                  });
                  say(`Denied ${str(r.id)}`, 'ok');
                  refresh();
                },
                'danger',
              ),
            );
          }
          return [
            str(r.agentId),
            str(r.toolId),
            str(r.justification),
            asked?.duration === undefined ? '—' : `${Math.round(asked.duration / 60_000)} min`,
            str(r.status),
            when(r.createdAt),
            actions,
          ];
        }),
        'Access requests',
      ),
      h('h2', {}, 'Sessions'),
      table(
        ['Session', 'Agent', 'Tool', 'Status', 'Calls', 'Expires', ''],
        items(sessions).map((s) => [
          h('code', {}, str(s.start)),
          str(s.agentId),
          str(s.toolId),
          str(s.status),
          `${str(s.callsUsed)}${s.maxCalls === null ? '' : ` / ${str(s.maxCalls)}`}`,
          when(s.expiresAt),
          approver && s.status === 'active'
            ? button(
                `Revoke session ${str(s.id)}`,
                async () => {
                  if (!window.confirm(`Revoke the session ${str(s.start)}? The agent loses access at once.`))
                    return;
                  await api('POST', `/access/sessions/${enc(String(s.id))}/revoke`, {
                    reason: 'revoked in the console',
                  });
                  say(`Revoked session ${str(s.start)}`, 'ok');
                  refresh();
                },
                'danger',
              )
            : null,
        ]),
        'Access sessions',
      ),
    );
  };

  const audit: View = async (view) => {
    const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
    const type = input('type', { value: params.get('type') ?? '', placeholder: 'apiKey.revoked' });
    const record = input('keyId', { value: params.get('keyId') ?? '', placeholder: 'record id' });
    const form = h(
      'form',
      { class: 'inline', 'aria-label': 'Filter the audit log' },
      field('Event type', type),
      field('Record id', record),
      h('button', { type: 'submit' }, 'Filter'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (type.value.trim()) q.set('type', type.value.trim());
      if (record.value.trim()) q.set('keyId', record.value.trim());
      location.hash = `#/audit?${q.toString()}`;
    });
    const q = new URLSearchParams({ limit: '200' });
    for (const k of ['type', 'keyId']) {
      const v = params.get(k);
      if (v) q.set(k, v);
    }
    const page = await api('GET', `/audit?${q.toString()}`);
    const verdict = h('p', { role: 'status' });
    view.append(
      h('h1', {}, 'Audit log'),
      h(
        'div',
        { class: 'actions' },
        button(
          'Verify the chain',
          async () => {
            const v = await api('GET', '/audit/verify');
            verdict.textContent =
              v.ok === true
                ? `The chain is intact: ${str(v.count)} events.`
                : `The chain is BROKEN at ${str(v.brokenAt)} (${str(v.reason)}).`;
          },
          'secondary',
        ),
      ),
      verdict,
      form,
      table(
        ['Seq', 'At', 'Type', 'Actor', 'Record'],
        items(page)
          .slice()
          .reverse()
          .map((e) => [str(e.seq), when(e.at), str(e.type), str(e.actor), h('code', {}, str(e.keyId))]),
        'Audit events',
      ),
    );
  };

  const VIEWS: Record<string, View> = {
    '': overview,
    'api-keys': apiKeys,
    secrets,
    'signing-keys': signingKeys,
    rotation,
    access,
    audit,
  };

  async function render(focus: boolean): Promise<void> {
    const token = ++renderToken;
    const name = (location.hash.replace(/^#\/?/, '').split('?')[0] ?? '').replace(/\/$/, '');
    const view = VIEWS[name] ?? overview;
    document.querySelectorAll('nav a').forEach((a) => {
      if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    // whatever the last view showed (a new token, a revealed value) leaves the page now
    main.replaceChildren(h('p', {}, 'Loading…'));
    const next = h('div', {});
    const refresh = () => {
      void render(false);
    };
    try {
      await view(next, refresh);
    } catch (error) {
      const p = error as Problem;
      if (p.status === 401) return;
      next.replaceChildren(
        h('h1', {}, 'Cannot show this page'),
        h('p', { role: 'alert' }, p.detail ? `${p.detail} (${str(p.code)})` : 'Request failed'),
      );
    }
    if (token !== renderToken) return; // a newer render won
    main.replaceChildren(next);
    if (focus) main.focus();
  }

  async function start(): Promise<void> {
    const res = await fetch('/console/session', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) {
      showLoggedOut();
      return;
    }
    const s = (await res.json()) as { csrfToken: string; operator: { id: string; scopes: string[] } };
    csrf = s.csrfToken;
    scopes = s.operator.scopes;
    (document.getElementById('who') as HTMLElement).textContent =
      `Signed in as ${s.operator.id} (${scopes.join(', ')})`;
    const logout = document.getElementById('logout') as HTMLButtonElement;
    logout.hidden = false;
    logout.addEventListener('click', () => {
      void run(async () => {
        await fetch('/console/logout', {
          method: 'POST',
          headers: { 'x-csrf-token': csrf },
          credentials: 'same-origin',
        });
        csrf = '';
        showLoggedOut();
      });
    });
    window.addEventListener('hashchange', () => {
      statusLine.textContent = '';
      void render(true);
    });
    await render(false);
  }

  void start();
}
