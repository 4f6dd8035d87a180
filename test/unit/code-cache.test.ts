import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CODE_CACHE_DIR } from '../../src/config/code-cache.js';

const LOADER = join(import.meta.dirname, '../../src/config/code-cache.ts');

/** A CommonJS "bundle" whose output names its version, and a launcher like the ones the build writes. */
function bundleSource(version: 'A' | 'B'): string {
  // Same length for both versions: V8 itself only compares a cached script's source length.
  return `const { sep } = require('node:path');\nfunction version() { return '${version}'; }\nconsole.log(version() + sep + module.exports.constructor.name + __filename.endsWith('bundle.cjs'));\n`;
}

describe('bundles run through the code cache (src/config/code-cache.ts)', () => {
  let dir: string;
  let bundle: string;
  let launcher: string;
  const start = () => spawnSync(process.execPath, ['--import', 'tsx', launcher], { encoding: 'utf8' });
  const cacheFiles = () => readdirSync(join(dir, CODE_CACHE_DIR)).filter((name) => name.endsWith('.bin'));
  const cacheStat = () => statSync(join(dir, CODE_CACHE_DIR, cacheFiles()[0]!));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dss-code-cache-'));
    bundle = join(dir, 'bundle.cjs');
    launcher = join(dir, 'launch.mjs');
    writeFileSync(bundle, bundleSource('A'));
    writeFileSync(launcher, `import { runBundle } from ${JSON.stringify(pathToFileURL(LOADER).href)};\nrunBundle(new URL('./bundle.cjs', import.meta.url));\n`);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('the first start writes the cache (private to this user), later starts use it as it is', () => {
    const first = start();
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`A/Objecttrue\n`);
    expect(cacheFiles()).toHaveLength(1);
    expect(statSync(join(dir, CODE_CACHE_DIR)).mode & 0o777).toBe(0o700);
    const written = cacheStat();
    expect(written.mode & 0o777).toBe(0o600);

    const second = start();
    expect(second.stdout).toBe(`A/Objecttrue\n`);
    // Accepted, so not written again (a rejected cache is replaced by a new file).
    expect(cacheStat().ino).toBe(written.ino);
    expect(cacheStat().mtimeMs).toBe(written.mtimeMs);
  });

  test('a rebuilt bundle of the same length runs its own code, with a cache of its own', () => {
    start();
    const [cacheOfA] = cacheFiles();
    writeFileSync(bundle, bundleSource('B'));
    const rebuilt = start();
    expect(rebuilt.stdout).toBe(`B/Objecttrue\n`);
    expect(cacheFiles()).toHaveLength(2);
    expect(cacheFiles()).toContain(cacheOfA);
  });

  test('a bundle with characters beyond ASCII runs them as written, with the cache too', () => {
    // esbuild escapes them, so a bundle of ours never has any; one written by hand must still run right.
    writeFileSync(bundle, "console.log('déjà 文字 ' + 'déjà'.length);\n");
    expect(start().stdout).toBe('déjà 文字 4\n');
    expect(start().stdout).toBe('déjà 文字 4\n');
  });

  test('a cache others could have written is ignored and replaced', () => {
    start();
    const planted = join(dir, CODE_CACHE_DIR, cacheFiles()[0]!);
    chmodSync(planted, 0o666);
    const before = statSync(planted);
    expect(start().stdout).toBe(`A/Objecttrue\n`);
    const after = statSync(planted);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600);
  });

  test('where no cache can be written, the bundle still runs, and says nothing about it', () => {
    // A file where the cache folder would be: mkdir fails whatever the user's rights (CI runs as root).
    writeFileSync(join(dir, CODE_CACHE_DIR), 'not a folder');
    for (let i = 0; i < 2; i++) {
      const run = start();
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(`A/Objecttrue\n`);
      expect(run.stderr).toBe('');
    }
  });
});
