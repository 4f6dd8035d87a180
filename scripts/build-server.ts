/**
 * Builds the service (src/) into dist/ with esbuild: the entry points `main.js` (npm start),
 * `sync-cli.js` (npm run sync), `hash-worker-thread.js` (the hashing worker) and `engine-thread.js`
 * (the service's runs), and the chunks they share, all in dist/ itself (hash-worker.ts,
 * thread-executor.ts and dashboard.ts find their files next to the module).
 * Why a bundle: Node 20 loads ES modules one file at a time, and MikroORM, knex and the AWS SDK are
 * hundreds of them; a bundle halves the CPU of a start (figures in the README's benchmark section).
 * Types are checked by `npm test` (tsc), not here. Part of `npm run build`; `--outdir <dir>` builds
 * elsewhere (the test of the built service).
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/** The service's entry points, by output name; the benchmark adds its own children. */
export const SERVICE_ENTRIES: Record<string, string> = {
  main: join(ROOT, 'src/main.ts'),
  'sync-cli': join(ROOT, 'src/cli/sync.ts'),
  'hash-worker-thread': join(ROOT, 'src/sync/verify/hash-worker-thread.ts'),
  'engine-thread': join(ROOT, 'src/sync/engine-thread/engine-thread.ts'),
};

/**
 * Left to node_modules at run time: native addons (better-sqlite3, pg's optional pg-native), and the
 * drivers and tools that knex, MikroORM and ws name but this service never loads.
 */
const EXTERNAL = [
  'better-sqlite3',
  'pg',
  'pg-native',
  'pg-query-stream',
  'mysql',
  'mysql2',
  'mariadb',
  'oracledb',
  'tedious',
  'sqlite3',
  'libsql',
  '@mikro-orm/entity-generator',
  '@mikro-orm/seeder',
  '@mikro-orm/reflection',
  'ts-morph',
  'bufferutil',
  'utf-8-validate',
];

/** Everything in `outdir` but the dashboard (its own build) and the source stamp goes: no stale chunk survives. */
async function clean(outdir: string): Promise<void> {
  const kept = new Set(['dashboard', '.source-hash', 'node_modules']);
  for (const name of await readdir(outdir).catch(() => [] as string[])) {
    if (!kept.has(name)) await rm(join(outdir, name), { recursive: true, force: true });
  }
}

export async function buildServer(outdir = join(ROOT, 'dist'), entryPoints = SERVICE_ENTRIES): Promise<void> {
  await clean(outdir);
  await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Whitespace and syntax only: names stay readable in stack traces, and V8 parses less.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    external: EXTERNAL,
    // The CommonJS packages in the bundle (knex, MikroORM) still `require` the externals.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (process.argv[1] === import.meta.filename) {
  const outdirFlag = process.argv.indexOf('--outdir');
  await buildServer(outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1] ?? '') : undefined);
}
