// `npm start`'s pre-step: runs `npm run build` (src/ to dist/, and the dashboard) only when the sources
// changed since the last build.
// A build takes seconds (esbuild, and the dashboard's); hashing the inputs takes milliseconds, so an
// unchanged restart serves at once.
// Plain JavaScript on purpose: it runs before anything is compiled, and without tsx's start-up cost.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const STAMP = 'dist/.source-hash';
const INPUTS = ['tsconfig.json', 'package-lock.json', 'scripts/build-server.ts', 'scripts/build-dashboard.ts'];
const SOURCE_DIRS = ['src', 'web'];

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function hashOfInputs() {
  const hash = createHash('sha256');
  for (const file of [...SOURCE_DIRS.filter((d) => existsSync(d)).flatMap(filesUnder), ...INPUTS.filter((f) => existsSync(f))].sort()) {
    hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

const hash = hashOfInputs();
const built = existsSync(STAMP) && existsSync('dist/main.js') && readFileSync(STAMP, 'utf8') === hash;
if (!built) {
  // npm_execpath is set when npm runs this script; elsewhere npm is looked up on the PATH.
  const npmCli = process.env.npm_execpath;
  const build = npmCli
    ? spawnSync(process.execPath, [npmCli, 'run', 'build', '--silent'], { stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  mkdirSync('dist', { recursive: true });
  writeFileSync(STAMP, hash);
}
