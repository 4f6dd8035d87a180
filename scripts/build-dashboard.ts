/**
 * Builds the dashboard (web/) into dist/dashboard/: one minified ES module and one stylesheet with
 * content hashes in their names (served as immutable), and index.html naming them. Part of
 * `npm run build` (so of `npm start` and the Docker build stage). Skips the work when dist is newer
 * than every source file; `--force` rebuilds.
 */
import { readdir, readFile, rename, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const WEB = join(ROOT, 'web');
export const DASHBOARD_DIST = join(ROOT, 'dist', 'dashboard');
const ASSETS = join(DASHBOARD_DIST, 'assets');
const INDEX = join(DASHBOARD_DIST, 'index.html');

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  const lock = await stat(join(ROOT, 'package-lock.json')).catch(() => null);
  return Math.max(newest, lock?.mtimeMs ?? 0, (await stat(import.meta.filename)).mtimeMs);
}

/** Returns the served files and their sizes (raw and gzipped); `built: false` when already up to date. */
export async function buildDashboard(options: { force?: boolean } = {}) {
  const built = await stat(INDEX).catch(() => null);
  if (!options.force && built && built.mtimeMs >= (await newestSource(WEB))) return { built: false, files: await sizes() };

  await mkdir(ASSETS, { recursive: true });
  const before = new Set(await readdir(ASSETS));
  const result = await build({
    entryPoints: [join(WEB, 'src', 'main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: ASSETS,
    entryNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const script = outputs.find((name) => name.endsWith('.js'));
  const styles = outputs.find((name) => name.endsWith('.css'));
  if (!script || !styles) throw new Error(`dashboard build: expected a .js and a .css output, got ${outputs.join(', ')}`);
  const html = (await readFile(join(WEB, 'index.html'), 'utf8')).replace('%SCRIPT%', script).replace('%STYLES%', styles);
  // index.html last, atomically: a page loaded meanwhile still finds the assets it names. A temp
  // name of its own: test files in parallel workers may build at once (a fresh clone has no dist).
  const temp = `${INDEX}.${process.pid}-${threadId}.tmp`;
  await writeFile(temp, html);
  await rename(temp, INDEX);
  for (const name of before) if (!outputs.includes(name)) await rm(join(ASSETS, name), { force: true });
  return { built: true, files: await sizes() };
}

async function sizes() {
  const files = [INDEX, ...(await readdir(ASSETS)).map((name) => join(ASSETS, name))];
  return Promise.all(
    files.map(async (file) => {
      const bytes = await readFile(file);
      return { file: file.slice(DASHBOARD_DIST.length + 1), bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
    }),
  );
}

if (process.argv[1] === import.meta.filename) {
  const { built, files } = await buildDashboard({ force: process.argv.includes('--force') });
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  const gzip = files.reduce((sum, f) => sum + f.gzipBytes, 0);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`dashboard ${built ? 'built' : 'up to date'}: ${files.length} files, ${kib(total)} (${kib(gzip)} gzipped) in dist/dashboard/`);
}
