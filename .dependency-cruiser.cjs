/**
 * The layering of keywarden, checked by `npm run lint` (docs/architecture.md explains it).
 * Bottom to top: foundation (errors, duration, ports, internal, crypto) → records → views
 * (store/) and the extension point → engines (rotation, usage, backup, rate-limit) → the
 * composition root (manager/, index.ts). Edges (adapters, kms, notifiers, middleware, cli, cache,
 * testing, capabilities such as access/) may import the core; the core never imports them. Imports only go down, never up.
 */
const FOUNDATION = '^src/(errors\\.ts|duration\\.ts|ports/|internal/|crypto/)';
const RECORDS = '^src/records/';
const VIEWS = '^src/(store|extension)/';
const ENGINES = '^src/(rotation|usage|backup|rate-limit)/';
const ROOT = '^src/(manager/|index\\.ts$)';
const EDGES = '^src/(adapters|kms|notifiers|middleware|cli|cache|testing)(/|\\.ts$)';
// Capabilities in their own subpath (keywarden/access, /http, /observability): on top of the core,
// which never imports them; they reach the manager through src/extension/ and the public API.
const CAPABILITIES = '^src/(access|http|observability)/';
const above = (...layers) => layers.join('|');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module-level import cycle (type-only cycles among the port interfaces are harmless).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'ports-are-leaves',
      severity: 'error',
      comment: 'Ports are the contract: they import nothing but other ports.',
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/ports/' },
    },
    {
      name: 'foundation-imports-nothing-above',
      severity: 'error',
      from: { path: FOUNDATION },
      to: { path: above(RECORDS, VIEWS, ENGINES, ROOT, EDGES, CAPABILITIES) },
    },
    {
      name: 'records-import-nothing-above',
      severity: 'error',
      comment: 'The record layer (records, write path, envelope, policies) knows no view, engine or root.',
      from: { path: RECORDS },
      to: { path: above(VIEWS, ENGINES, ROOT, EDGES, CAPABILITIES) },
    },
    {
      name: 'views-import-nothing-above',
      severity: 'error',
      from: { path: VIEWS },
      to: { path: above(ENGINES, ROOT, EDGES, CAPABILITIES) },
    },
    {
      name: 'views-are-independent',
      severity: 'error',
      comment:
        'One view does not reach into another (shared code belongs in records/; shared types in store/*-types.ts).',
      from: { path: '^src/store/(api-keys|secrets|keys)[./]' },
      to: { path: '^src/store/(api-keys|secrets|keys)[./]', pathNot: '^src/store/$1[./]' },
    },
    {
      name: 'extension-sees-only-records',
      severity: 'error',
      comment: 'The extension point hands out the record layer, not the views.',
      from: { path: '^src/extension/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'engines-import-nothing-above',
      severity: 'error',
      from: { path: ENGINES },
      to: { path: above(ROOT, EDGES, CAPABILITIES) },
    },
    {
      name: 'engines-are-independent',
      severity: 'error',
      from: { path: '^src/(rotation|usage|backup|rate-limit)/' },
      to: { path: '^src/(rotation|usage|backup|rate-limit)/', pathNot: '^src/$1/' },
    },
    {
      name: 'root-imports-no-edge',
      severity: 'error',
      comment: 'createKeyManager takes adapters, KMS and notifiers as arguments; it never imports them.',
      from: { path: ROOT },
      to: { path: above(EDGES, CAPABILITIES) },
    },
    {
      name: 'only-the-root-imports-the-root',
      severity: 'error',
      comment: 'Edges reach the manager through the public entry (src/index.ts), not its internals.',
      from: { path: '^src/', pathNot: ROOT },
      to: { path: '^src/manager/store-context\\.ts$' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.sql$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
