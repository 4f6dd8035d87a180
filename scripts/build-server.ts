/**
 * Builds the service (src/) into dist/ with esbuild. Each entry point (`main` for npm start,
 * `sync-cli` for npm run sync, `hash-worker-thread` and `engine-thread` for the service's worker
 * threads) becomes one self-contained CommonJS bundle, `<name>.cjs`, started by `<name>.js`, which
 * runs it with V8's code cache (src/config/code-cache.ts). All in dist/ itself: hash-worker.ts,
 * thread-executor.ts and dashboard.ts find their files next to the bundle.
 * Why a bundle: Node 20 loads modules one file at a time, and MikroORM, knex and the AWS SDK are
 * hundreds of them; a bundle halves the CPU of a start, and the code cache takes off a third of
 * what is left (figures in the README's benchmark section).
 * Types are checked by `npm test` (tsc), not here. Part of `npm run build`; `--outdir <dir>` builds
 * elsewhere (the test of the built service).
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/** The service's entry points, by output name; the benchmark adds its own children. */
export const SERVICE_ENTRIES: Record<string, string> = {
  main: join(ROOT, 'src/main.ts'),
  'sync-cli': join(ROOT, 'src/cli/sync.ts'),
  'hash-worker-thread': join(ROOT, 'src/sync/verify/hash-worker-thread.ts'),
  'engine-thread': join(ROOT, 'src/sync/engine-thread/engine-thread.ts'),
};

/**
 * Left to node_modules at run time: native addons (better-sqlite3, native/linux-fs, pg's optional pg-native), and the
 * drivers and tools that knex, MikroORM and ws name but this service never loads.
 */
const EXTERNAL = [
  'better-sqlite3',
  'dss-linux-fs',
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
  // GraphiQL's page (9 MB of inline assets, self-contained): loaded from node_modules on the first
  // visit instead of parsed at every start.
  '@graphql-yoga/render-graphiql',
];

/** Everything in `outdir` but the dashboard (its own build) and the source stamp goes: no stale chunk survives. */
async function clean(outdir: string): Promise<void> {
  const kept = new Set(['dashboard', '.source-hash', 'node_modules']);
  for (const name of await readdir(outdir).catch(() => [] as string[])) {
    if (!kept.has(name)) await rm(join(outdir, name), { recursive: true, force: true });
  }
}

/** What every bundle of the service is built with. */
const COMMON = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: names stay readable in stack traces, and V8 parses less.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false,
  external: EXTERNAL,
  // Their ES module builds, so that only what is used is bundled and run at start: the hashers in use
  // (hash-wasm's CommonJS build holds ~40 WebAssembly modules), and the S3 client with the commands
  // in use (the SDK's CommonJS build is one module defining all of S3's; the package declares no side effects).
  alias: { 'hash-wasm': 'hash-wasm/dist/index.esm.js', '@aws-sdk/client-s3': '@aws-sdk/client-s3/dist-es/index.js' },
  legalComments: 'none',
  logLevel: 'warning',
} satisfies BuildOptions;

/**
 * `<name>.js`, the file Node starts: runs `<name>.cjs` through the code cache (src/config/code-cache.ts).
 * CommonJS, as is everything in the folder (its package.json): a process or worker thread started
 * from it never sets up Node's ES module loader, which an ES module launcher paid for at every start.
 */
function launcher(name: string): string {
  return `require('./code-cache.js').runBundle(require('node:url').pathToFileURL(require('node:path').join(__dirname, '${name}.cjs')));\n`;
}

/** Makes every `.js` of the folder CommonJS, whatever package.json is above it (the repository's says "module"). */
const FOLDER_PACKAGE_JSON = '{ "type": "commonjs" }\n';

export async function buildServer(outdir = join(ROOT, 'dist'), entryPoints = SERVICE_ENTRIES): Promise<void> {
  await clean(outdir);
  // One self-contained CommonJS file per entry point: V8 caches the compiled code of a script, not of an ES module.
  await build({
    ...COMMON,
    entryPoints,
    outdir,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    // require() for what is loaded lazily from node_modules: a script run through node:vm has no import().
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  await build({ ...COMMON, entryPoints: { 'code-cache': join(ROOT, 'src/config/code-cache.ts') }, outdir, format: 'cjs' });
  await writeFile(join(outdir, 'package.json'), FOLDER_PACKAGE_JSON);
  for (const name of Object.keys(entryPoints)) await writeFile(join(outdir, `${name}.js`), launcher(name));
}

if (process.argv[1] === import.meta.filename) {
  const outdirFlag = process.argv.indexOf('--outdir');
  await buildServer(outdirFlag > 0 ? resolve(process.argv[outdirFlag + 1] ?? '') : undefined);
}
