// src/layering.test.ts — the import layering of src/ and web/src/, read from the source text (docs/layout.md says
// what each folder owns): which top-level part of src/ may import which (MAY_IMPORT), no file-level import cycle,
// and the web app taking from src/ only the schemas and a few pure, browser-safe files (WEB_SHARED). Tests and
// *-testing.ts helpers are left out: they may reach across the layers to set up a scene.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Which part of src/ may import which: a folder by its name, a top-level file by its name without `.ts`. Lower
 * parts come first; each names only parts listed above it, so no two parts can import each other.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  /** The fix an error names, as data, and its CLI words: errors.ts builds messages with it. */
  'error-fix': [],
  errors: ['error-fix'],
  /** Why prep chose a stage, as data (a model to pull, an option set, an error with its fix), and its CLI words. */
  'stage-reason': ['error-fix'],
  /** The Upload page's prep field labels: the web's words for a prep option (stage reasons, the Models page). */
  'prep-field-labels': ['stage-reason'],
  version: [],
  types: [],
  'value-preview': [],
  /** Byte counts in words (decimal MB, binary MiB): shared by models, env, jobs, lora, prep, server and web. */
  'format-bytes': [],
  /** File-system error codes in words (EACCES, ENOSPC, ELOOP, ...): every message that names one. */
  'fs-error-words': [],
  /** The one "disk full" detector (ENOSPC, EDQUOT, libvips' text, a wrapped cause) and its words: every writer's. */
  'disk-full': ['fs-error-words'],
  /** A user's file name with its control and bidi characters escaped: the CLI prints, and the web shows, names by it. */
  'visible-text': [],
  'output-folder': ['error-fix', 'errors', 'fs-error-words'],
  /** zod schemas only: shared by the CLI, the server and the web bundle, so they import nothing of toonlora's but
   * the two pure files whose data they hold (an error's fix, a prep stage's reason). */
  schemas: ['error-fix', 'stage-reason'],
  /** zod issues in a request's words (the API's 400s, a stored job's refused settings): server and jobs share it. */
  'issue-lines': ['schemas', 'value-preview'],
  vision: ['error-fix', 'errors', 'schemas'],
  config: ['error-fix', 'errors', 'schemas', 'value-preview'],
  /** The install lock and the disk probes: models/ (a pull) and env/ (the venv, doctor) share them. */
  host: [],
  models: [
    'disk-full',
    'error-fix',
    'errors',
    'format-bytes',
    'fs-error-words',
    'host',
    'prep-field-labels',
    'schemas',
  ],
  /** env/ sits over models/: doctor reports the models' cache, the venv lives under toonlora's home. */
  env: ['error-fix', 'errors', 'format-bytes', 'host', 'models'],
  lora: [
    'disk-full',
    'error-fix',
    'errors',
    'format-bytes',
    'output-folder',
    'schemas',
    'value-preview',
    'vision',
  ],
  worker: [
    'disk-full',
    'env',
    'error-fix',
    'errors',
    'fs-error-words',
    'host',
    'lora',
    'models',
    'output-folder',
    'schemas',
    'vision',
  ],
  prep: [
    'config',
    'disk-full',
    'error-fix',
    'errors',
    'format-bytes',
    'fs-error-words',
    'models',
    'output-folder',
    'schemas',
    'stage-reason',
    'vision',
    'worker',
  ],
  jobs: [
    'disk-full',
    'error-fix',
    'errors',
    'format-bytes',
    'fs-error-words',
    'issue-lines',
    'models',
    'prep',
    'prep-field-labels',
    'schemas',
    'stage-reason',
    'value-preview',
    'version',
    'vision',
    'worker',
  ],
  demo: ['env', 'error-fix', 'errors', 'lora', 'models', 'output-folder', 'prep', 'schemas', 'worker'],
  server: [
    'error-fix',
    'errors',
    'format-bytes',
    'fs-error-words',
    'host',
    'issue-lines',
    'jobs',
    'lora',
    'models',
    'schemas',
    'value-preview',
    'version',
    'vision',
    'worker',
  ],
  /** The CLI is the top: it may import every part but the server (see ALSO_MAY_IMPORT for `serve`). */
  cli: [
    'config',
    'demo',
    'env',
    'error-fix',
    'errors',
    'format-bytes',
    'jobs',
    'lora',
    'models',
    'prep',
    'schemas',
    'version',
    'visible-text',
    'vision',
    'worker',
  ],
};

/** Single files allowed past their part's row, each for its reason. */
const ALSO_MAY_IMPORT: readonly { file: string; part: string; why: string }[] = [
  { file: 'src/cli/commands/serve.ts', part: 'server', why: '`toonlora serve` builds and starts the server' },
];

/**
 * The files of src/ (outside schemas/, which web may import whole) that web/src may import: pure and free of Node
 * imports, so the browser and the server apply one rule. Anything else of src/ would go into the web bundle.
 */
const WEB_SHARED: readonly string[] = [
  'src/jobs/job-state.ts', // which status may follow which: the job page follows a job's stream by it
  'src/jobs/upload-file-size.ts', // the same words for a file over the size limit
  'src/models/hub-address.ts', // the Models page reads a pasted Hub address as `models pull` does
  'src/format-bytes.ts', // sizes in the CLI's units: `models list`, `inspect`, the Metadata panel agree
  'src/lora/webui-name.ts', // the LoRA name WebUI can read back, shown on the LoRA page
  'src/jobs/web-stage-words.ts', // a prep stage's reason in the web's words: the Upload page and a server prep job's log
  'src/visible-text.ts', // a file name with control and bidi characters shown as escapes, as the CLI prints it
  'src/prep-field-labels.ts', // the Upload page's prep field labels, which the stage reasons' words name too
];

/** What the web bundle may reach in src/ through WEB_SHARED's own imports (job-state.ts throws coded errors; errors.ts
 * words a fix with error-fix.ts; web-stage-words.ts words stage-reason.ts's parts). */
const WEB_SHARED_REACHES: readonly string[] = [
  'src/errors.ts',
  'src/error-fix.ts',
  'src/stage-reason.ts',
  'src/jobs/job-error-hints.ts', // web-stage-words.ts words an error's fix as a failed job's text does
];

interface ImportEdge {
  /** Both relative to the repository root, e.g. `src/cli/program.ts`. */
  readonly from: string;
  readonly to: string;
  /** `import type` / `export type`: gone once compiled, so it loads nothing. */
  readonly typeOnly: boolean;
}

/** Every source file under `dir` but tests and test helpers, recursively, relative to the repository root. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    const source = /\.tsx?$/.test(entry.name) && !/(\.test\.tsx?|-testing\.ts)$/.test(entry.name);
    return source ? [path] : [];
  });
}

const STATIC_IMPORT = /^(?:import|export)\s+(type\s+)?[\w\s{},*$]*?\bfrom\s+['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The file a relative specifier names (`./a.js` -> `a.ts`, `a.tsx` or `a/index.ts`), or undefined. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = join(dirname(from), specifier).replace(/\.js$/, '');
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((file) => existsSync(join(ROOT, file)));
}

/** The relative imports of `file` (static, re-exports, side-effect only and dynamic `import()`). */
function importsOf(file: string, text: string): ImportEdge[] {
  const found = [
    ...[...text.matchAll(STATIC_IMPORT)].map((m) => ({ specifier: m[2] ?? '', typeOnly: Boolean(m[1]) })),
    ...[...text.matchAll(BARE_IMPORT), ...text.matchAll(DYNAMIC_IMPORT)].map((m) => ({
      specifier: m[1] ?? '',
      typeOnly: false,
    })),
  ];
  return found.flatMap(({ specifier, typeOnly }) => {
    const to = resolveSpecifier(file, specifier);
    return to ? [{ from: file, to, typeOnly }] : [];
  });
}

/** The part of src/ a file belongs to (`src/cli/program.ts` -> `cli`, `src/errors.ts` -> `errors`), or `web`. */
function partOf(file: string): string {
  const [top, name = ''] = file.split('/');
  if (top === 'web') return 'web';
  return name.replace(/\.ts$/, '');
}

/** The file-level cycles among the edges that load code (strongly connected components, Tarjan). */
function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to, typeOnly } of edges) if (!typeOnly) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file) ?? 0);
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) visit(to);
      if (stack.includes(to)) low.set(file, Math.min(low.get(file) ?? 0, low.get(to) ?? 0));
    }
    if (low.get(file) !== index.get(file)) return;
    const component = stack.splice(stack.indexOf(file));
    if (component.length > 1 || next.get(file)?.includes(file)) cycles.push(component.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

const FILES = [...sourceFiles('src'), ...sourceFiles('web/src')];
const EDGES = FILES.flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), 'utf8')));
const describeEdge = (edge: ImportEdge): string => `${edge.from} imports ${edge.to}`;

describe('import layering', () => {
  it('reads the imports of every source file', () => {
    expect(FILES.length).toBeGreaterThan(300);
    expect(EDGES.length).toBeGreaterThan(1000);
    expect(importsOf('src/cli/a.ts', "import type {\n  A,\n  B,\n} from '../errors.js';")).toEqual([
      { from: 'src/cli/a.ts', to: 'src/errors.ts', typeOnly: true },
    ]);
  });

  it('lists every part of src/ in the table, and each names only parts listed before it', () => {
    const parts = Object.keys(MAY_IMPORT);
    const inSrc = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || FILES.includes(`src/${entry.name}`))
      .map((entry) => partOf(`src/${entry.name}`));
    expect([...inSrc].sort()).toEqual([...parts].sort());
    const upward = parts.flatMap((part, i) =>
      (MAY_IMPORT[part] ?? [])
        .filter((to) => !parts.slice(0, i).includes(to))
        .map((to) => `${part} -> ${to}`),
    );
    expect(upward).toEqual([]);
  });

  it('imports, between parts of src/, only what the table allows', () => {
    const offenders = EDGES.filter((edge) => {
      const [from, to] = [partOf(edge.from), partOf(edge.to)];
      if (from === 'web' || from === to || MAY_IMPORT[from]?.includes(to)) return false;
      return !ALSO_MAY_IMPORT.some((also) => also.file === edge.from && also.part === to);
    });
    expect(offenders.map(describeEdge)).toEqual([]);
  });

  it('has no file-level import cycle', () => {
    expect(importCycles(EDGES)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const edge = (from: string, to: string): ImportEdge => ({ from, to, typeOnly: false });
    expect(importCycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([
      ['a', 'b', 'c'],
    ]);
    expect(importCycles([edge('a', 'b'), { from: 'b', to: 'a', typeOnly: true }])).toEqual([]);
  });

  it('takes into the web bundle from src/ only the schemas and the shared pure files', () => {
    const direct = EDGES.filter((edge) => partOf(edge.from) === 'web' && partOf(edge.to) !== 'web');
    const allowed = (file: string) => file.startsWith('src/schemas/') || WEB_SHARED.includes(file);
    expect(direct.filter((edge) => !allowed(edge.to)).map(describeEdge)).toEqual([]);
    // and what those files import in turn: each file the bundle reaches in src/
    const reached = new Set(direct.map((edge) => edge.to));
    for (const file of reached) {
      for (const edge of EDGES) if (edge.from === file && !edge.typeOnly) reached.add(edge.to);
    }
    const strays = [...reached].filter((file) => !allowed(file) && !WEB_SHARED_REACHES.includes(file));
    expect(strays).toEqual([]);
  });
});
