/**
 * Extracts every TypeScript `@example` block from the TSDoc in src/ (and every ```ts block of the
 * README and docs/*.md) and type-checks them all in one TypeScript program against the library.
 *
 * How an example becomes a module (see docs/architecture.md, "Examples that compile"):
 * - A fenced block ```ts, ```typescript, ```tsx or ``` (no language) is TypeScript; any other fence
 *   language (sh, json...) is skipped. Markdown files: only ```ts / ```typescript blocks.
 * - Each block is its own ES module (top-level await works), checked with the project's tsconfig.
 * - `keywarden` and its subpaths resolve to src/ through `paths` built from package.json `exports`,
 *   so an example imports exactly what a user can import.
 * - Imports may be left out: a name the block uses but does not declare is imported from the public
 *   entry point that exports it (the one re-exporting the documented file when there is a choice),
 *   else from the documented file itself (internal helpers are documented too).
 * - The remaining free names (`km`, `store`, `req`...) come from test/docs/example-prelude.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** One extracted code block. */
export interface Example {
  /** Repository-relative file the block is written in. */
  readonly file: string;
  /** 1-based line of the block's first code line in `file`. */
  readonly line: number;
  /** The code, comment markers removed. */
  readonly code: string;
  /**
   * 1-based line in `file` of each line of `code`, when they are not consecutive (a markdown block
   * marked `<!-- continues -->` is compiled after the blocks it continues).
   */
  readonly lines?: readonly number[];
}

/** A compiler error in an example, located in the file the example is written in. */
export interface ExampleError {
  readonly file: string;
  readonly line: number;
  /** 1-based line of the example's first code line. */
  readonly example: number;
  readonly message: string;
}

const TS_FENCES = new Set(['', 'ts', 'typescript', 'tsx']);
const MD_FENCES = new Set(['ts', 'typescript']);

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * The `@example` blocks of one TypeScript source: fenced blocks after an `@example` tag, up to the
 * next block tag or the end of the comment.
 */
export function examplesInSource(file: string, text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  let inDoc = false;
  let inExample = false;
  let fence: { lang: string; line: number; code: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (!inDoc) {
      if (/^\s*\/\*\*/.test(raw) && !raw.includes('*/')) inDoc = true;
      inExample = false;
      continue;
    }
    if (/^\s*\*\/\s*$/.test(raw) || (raw.includes('*/') && !fence)) {
      inDoc = false;
      continue;
    }
    const content = raw.replace(/^\s*\* ?/, '');
    if (fence) {
      if (/^\s*```\s*$/.test(content)) {
        if (TS_FENCES.has(fence.lang)) out.push({ file, line: fence.line, code: fence.code.join('\n') });
        fence = undefined;
      } else fence.code.push(content);
      continue;
    }
    if (/^@example\b/.test(content)) inExample = true;
    else if (/^@\w+/.test(content)) inExample = false;
    const open = /^```(\w*)\s*$/.exec(content);
    if (inExample && open) fence = { lang: (open[1] as string).toLowerCase(), line: i + 2, code: [] };
  }
  return out;
}

/** The HTML comment that makes a markdown block continue the previous checked block of its file. */
export const CONTINUES = '<!-- continues -->';

/**
 * The ```ts blocks of one markdown file. A block whose fence follows a `<!-- continues -->` line
 * (blank lines between allowed) is compiled together with the previous ```ts block of the file:
 * one module, the earlier code first, errors located at their own lines.
 */
export function examplesInMarkdown(file: string, text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  let fence: { lang: string; line: number; code: string[]; continues: boolean } | undefined;
  let continues = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (fence) {
      if (/^\s*```\s*$/.test(raw)) {
        if (MD_FENCES.has(fence.lang)) {
          const own = fence.code.map((_, k) => fence!.line + k);
          const previous = fence.continues ? out.pop() : undefined;
          if (fence.continues && !previous) {
            throw new Error(`${file}:${fence.line - 1}: ${CONTINUES} before the first ts block of the file`);
          }
          out.push(
            previous
              ? {
                  file,
                  line: previous.line,
                  code: `${previous.code}\n${fence.code.join('\n')}`,
                  lines: [
                    ...(previous.lines ?? previous.code.split('\n').map((_, k) => previous.line + k)),
                    ...own,
                  ],
                }
              : { file, line: fence.line, code: fence.code.join('\n') },
          );
        }
        fence = undefined;
      } else fence.code.push(raw);
      continue;
    }
    const open = /^\s*```(\S*)/.exec(raw);
    if (open) {
      fence = { lang: (open[1] as string).toLowerCase(), line: i + 2, code: [], continues };
      continues = false;
    } else if (raw.trim() === CONTINUES) continues = true;
    else if (raw.trim() !== '') continues = false;
  }
  return out;
}

/** Every `@example` of src/**\/*.ts and, unless `markdown` is false, the ```ts blocks of README.md and docs/*.md. */
export function extractExamples(root: string, markdown = true): Example[] {
  const out: Example[] = [];
  for (const path of walk(join(root, 'src')).sort()) {
    out.push(...examplesInSource(relative(root, path), readFileSync(path, 'utf8')));
  }
  if (!markdown) return out;
  const documents = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
  for (const file of documents) out.push(...examplesInMarkdown(file, readFileSync(join(root, file), 'utf8')));
  return out;
}

/** package.json `exports` as TypeScript `paths` to the sources: `keywarden/kms` → `./src/kms/index.ts`. */
export function publicPaths(root: string): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { types?: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [sub, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || !target.types) continue;
    const specifier = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    paths[specifier] = [target.types.replace(/^\.\/dist\//, './src/').replace(/\.d\.ts$/, '.ts')];
  }
  return paths;
}

/** Every identifier text of a block, and the names the block declares (scope-insensitive). */
function namesOf(code: string): { used: Set<string>; declared: Set<string> } {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const used = new Set<string>();
  const declared = new Set<string>();
  const bind = (name: ts.Node | undefined): void => {
    if (!name) return;
    if (ts.isIdentifier(name)) declared.add(name.text);
    else if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name)) {
      for (const el of name.elements) if (ts.isBindingElement(el)) bind(el.name);
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) used.add(node.text);
    if (
      ts.isVariableDeclaration(node) ||
      ts.isParameter(node) ||
      ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isInterfaceDeclaration(node) ||
      ts.isTypeAliasDeclaration(node) ||
      ts.isEnumDeclaration(node) ||
      ts.isTypeParameterDeclaration(node) ||
      ts.isImportClause(node) ||
      ts.isImportSpecifier(node) ||
      ts.isNamespaceImport(node) ||
      ts.isImportEqualsDeclaration(node)
    ) {
      bind(node.name);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { used, declared };
}

/** The compiler options of tsconfig.json, with `keywarden` mapped to src/ and scripts detected legacy-style. */
function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (p) => readFileSync(p, 'utf8'));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const config = read.config as { compilerOptions: Record<string, unknown> };
  const parsed = ts.parseJsonConfigFileContent(
    {
      compilerOptions: {
        ...config.compilerOptions,
        paths: publicPaths(root),
        // the prelude has no import/export, so it is a script and its declarations are global;
        // every example is made a module by a trailing `export {}`
        moduleDetection: 'legacy',
        noEmit: true,
        incremental: false,
      },
      files: [],
    },
    ts.sys,
    root,
  );
  return parsed.options;
}

/** How a name of a documented file's scope is imported into its examples. */
interface Binding {
  readonly symbol: ts.Symbol;
  readonly from: string;
  readonly name: string;
  readonly typeOnly: boolean;
}

/** `./x.js`-style specifier of `file` (a .ts or .js path) from `dir`. */
function relativeSpecifier(dir: string, file: string): string {
  const spec = relative(dir, file).replace(/\.ts$/, '.js');
  return spec.startsWith('.') ? spec : `./${spec}`;
}

/** Result of {@link checkExamples}. */
export interface CheckResult {
  readonly examples: number;
  readonly errors: ExampleError[];
  /** The program, and each example's module in it (for tools that act on the errors). */
  readonly program: ts.Program;
  readonly modules: ReadonlyMap<string, { readonly example: Example; readonly header: number }>;
  /** Wall milliseconds per phase: the library program, the export tables, the examples' program, the check. */
  readonly timings: Readonly<Record<'library' | 'exports' | 'program' | 'check', number>>;
}

/**
 * Type-checks every example of the repository at `root` with `prelude` (a script declaring the
 * examples' free variables) in one program.
 */
export function checkExamples(root: string, prelude: string, examples = extractExamples(root)): CheckResult {
  const options = compilerOptions(root);
  const srcFiles = walk(join(root, 'src')).sort();
  const entries = Object.entries(publicPaths(root)).map(
    ([specifier, [target]]) => [specifier, join(root, target as string)] as const,
  );

  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  // pass 1: the library alone, for the names each public entry point and each source file exports
  const host = ts.createCompilerHost(options, true);
  // the second program re-reads every file through the host: serve the first one's parses
  const parsed = new Map<string, ts.SourceFile>();
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const cached = parsed.get(fileName);
    if (cached) return cached;
    const sf = parse(fileName, languageVersion, onError, shouldCreate);
    if (sf) parsed.set(fileName, sf);
    return sf;
  };
  const base = ts.createProgram({ rootNames: [...srcFiles, prelude], options, host });
  const checker = base.getTypeChecker();
  const library = lap();
  const target = (s: ts.Symbol): ts.Symbol =>
    s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
  const exportsOf = (file: string): Map<string, ts.Symbol> => {
    const sf = base.getSourceFile(file);
    const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
    const out = new Map<string, ts.Symbol>();
    if (moduleSymbol) for (const s of checker.getExportsOfModule(moduleSymbol)) out.set(s.name, target(s));
    return out;
  };
  const publicExports = entries.map(([specifier, file]) => ({ specifier, names: exportsOf(file) }));
  const dir = join(root, 'test', 'docs', '.examples');
  const scopes = new Map<string, Map<string, Binding>>();
  /** The names a source file exports or imports: what its examples may use without an import. */
  const scopeOf = (file: string): Map<string, Binding> => {
    const cached = scopes.get(file);
    if (cached) return cached;
    const scope = new Map<string, Binding>();
    for (const [name, symbol] of exportsOf(file)) {
      scope.set(name, { symbol, from: relativeSpecifier(dir, file), name, typeOnly: false });
    }
    const sf = base.getSourceFile(file);
    for (const statement of sf?.statements ?? []) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const clause = statement.importClause;
      const bindings = clause?.namedBindings;
      if (!clause || !bindings) continue;
      const spec = statement.moduleSpecifier.text;
      const from = spec.startsWith('.') ? relativeSpecifier(dir, join(dirname(file), spec)) : spec;
      if (ts.isNamespaceImport(bindings)) {
        const symbol = checker.getSymbolAtLocation(bindings.name);
        // a value import even when the file imports the namespace for types only: examples call it
        if (symbol) scope.set(bindings.name.text, { symbol, from, name: '*', typeOnly: false });
        continue;
      }
      for (const el of bindings.elements) {
        const symbol = checker.getSymbolAtLocation(el.name);
        if (!symbol || scope.has(el.name.text)) continue;
        scope.set(el.name.text, {
          symbol: target(symbol),
          from,
          name: (el.propertyName ?? el.name).text,
          typeOnly: clause.isTypeOnly || el.isTypeOnly,
        });
      }
    }
    scopes.set(file, scope);
    return scope;
  };

  // pass 2: one module per example, reusing the parsed library
  /** Last resort for the internal modules' examples: the name as some source file exports it. */
  const everywhere = new Map<string, Binding>();
  for (const file of srcFiles) {
    for (const [name, symbol] of exportsOf(file)) {
      if (!everywhere.has(name))
        everywhere.set(name, { symbol, from: relativeSpecifier(dir, file), name, typeOnly: false });
    }
  }
  const anywhere = (name: string) => everywhere.get(name);
  const exportTables = lap();
  const virtual = new Map<string, { example: Example; header: number; text: string }>();
  for (const example of examples) {
    const scope = example.file.startsWith('src/') ? scopeOf(join(root, example.file)) : undefined;
    const { used, declared } = namesOf(example.code);
    const imports = new Map<string, string[]>();
    const header: string[] = [];
    const add = (from: string, name: string) => imports.set(from, [...(imports.get(from) ?? []), name]);
    for (const name of used) {
      if (declared.has(name)) continue;
      const mine = scope?.get(name) ?? anywhere(name);
      const entry = mine
        ? publicExports.find((e) => e.names.get(name) === mine.symbol)
        : publicExports.find((e) => e.names.has(name));
      const symbol = entry?.names.get(name) ?? mine?.symbol;
      const typeOnly = symbol !== undefined && !(symbol.flags & ts.SymbolFlags.Value);
      if (entry) add(entry.specifier, typeOnly ? `type ${name}` : name);
      else if (mine) {
        if (mine.name === '*') {
          header.push(`import ${mine.typeOnly ? 'type ' : ''}* as ${name} from '${mine.from}';`);
          continue;
        }
        const item = mine.name === name ? name : `${mine.name} as ${name}`;
        add(mine.from, typeOnly ? `type ${item}` : item);
      }
    }
    for (const [from, names] of imports) header.push(`import { ${names.join(', ')} } from '${from}';`);
    const name = `${example.file.replace(/[/.]/g, '_')}_${example.line}.ts`;
    virtual.set(join(dir, name), {
      example,
      header: header.length,
      text: `${header.join('\n')}${header.length ? '\n' : ''}${example.code}\nexport {};\n`,
    });
  }
  const realGetSourceFile = host.getSourceFile.bind(host);
  const realFileExists = host.fileExists.bind(host);
  const realReadFile = host.readFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const v = virtual.get(fileName);
    if (v) return ts.createSourceFile(fileName, v.text, languageVersion, true, ts.ScriptKind.TS);
    return realGetSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  host.fileExists = (fileName) => virtual.has(fileName) || realFileExists(fileName);
  host.readFile = (fileName) => virtual.get(fileName)?.text ?? realReadFile(fileName);
  const program = ts.createProgram({
    rootNames: [...srcFiles, prelude, ...virtual.keys()],
    options,
    host,
    oldProgram: base,
  });
  const programMs = lap();

  const errors: ExampleError[] = [];
  const report = (d: ts.Diagnostic, file: string, line: number, example: number) =>
    errors.push({ file, line, example, message: ts.flattenDiagnosticMessageText(d.messageText, '\n  ') });
  for (const [fileName, v] of virtual) {
    const sf = program.getSourceFile(fileName);
    if (!sf) continue;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const at = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
      const k = Math.max(0, at - v.header);
      report(d, v.example.file, v.example.lines?.[k] ?? v.example.line + k, v.example.line);
    }
  }
  const preludeFile = program.getSourceFile(prelude);
  if (preludeFile) {
    for (const d of program.getSemanticDiagnostics(preludeFile)) {
      const at = d.start === undefined ? 0 : preludeFile.getLineAndCharacterOfPosition(d.start).line;
      report(d, relative(root, prelude), at + 1, 1);
    }
  }
  const timings = { library, exports: exportTables, program: programMs, check: lap() };
  return { examples: examples.length, errors, program, modules: virtual, timings };
}

/** How many examples of each file have an error (an example counts once, located at its first line). */
export function brokenByFile(errors: readonly ExampleError[]): Record<string, number> {
  const seen = new Set<string>();
  const out: Record<string, number> = {};
  for (const e of errors) {
    const key = `${e.file}:${e.example}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out[e.file] = (out[e.file] ?? 0) + 1;
  }
  return out;
}

/** `file:line message`, one per error, for a failing test's output. */
export function formatErrors(errors: readonly ExampleError[]): string {
  return errors.map((e) => `${e.file}:${e.line} ${e.message}`).join('\n');
}

// `npx tsx test/docs/examples.ts` prints the errors without vitest
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const root = join(dirname(import.meta.filename), '..', '..');
  const started = performance.now();
  const examples = extractExamples(root, !process.argv.includes('--no-markdown'));
  const result = checkExamples(root, join(root, 'test', 'docs', 'example-prelude.ts'), examples);
  console.log(formatErrors(result.errors));
  const broken = brokenByFile(result.errors);
  for (const [file, n] of Object.entries(broken)) console.log(`  ${file}: ${n}`);
  console.log(
    `${result.examples} examples, ${Object.values(broken).reduce((x, y) => x + y, 0)} broken, ` +
      `${result.errors.length} errors, ${Math.round(performance.now() - started)} ms`,
  );
  console.log(result.timings);
}
