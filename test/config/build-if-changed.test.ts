import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-if-changed.mjs', import.meta.url));

/** A project with the script and a stand-in `npm run build` (tsc) that counts its runs and writes dist/main.js. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dss-build-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', 'typescript', 'bin'), { recursive: true });
  copyFileSync(SCRIPT, join(dir, 'scripts', 'build-if-changed.mjs'));
  writeFileSync(join(dir, 'src', 'main.ts'), 'export {};\n');
  writeFileSync(join(dir, 'src', 'sub', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(dir, 'tsconfig.json'), '{}');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, scripts: { build: 'node node_modules/typescript/bin/tsc' } }));
  writeFileSync(
    join(dir, 'node_modules', 'typescript', 'bin', 'tsc'),
    `const fs = require('node:fs');
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/main.js', '');
fs.appendFileSync('tsc-runs', 'x');
process.exit(fs.existsSync('fail') ? 2 : 0);`,
  );
  writeFileSync(join(dir, 'node_modules', 'typescript', 'package.json'), '{"type": "commonjs"}');
  return dir;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(dir: string): { status: number | null; tscRuns: number } {
  const { status } = spawnSync(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: dir, stdio: 'ignore' });
  const tscRuns = existsSync(join(dir, 'tsc-runs')) ? readFileSync(join(dir, 'tsc-runs'), 'utf8').length : 0;
  return { status, tscRuns };
}

describe('npm start builds only when the sources changed (scripts/build-if-changed.mjs)', () => {
  it('compiles on the first start, skips unchanged restarts, recompiles after an edit, a config change or a lost dist/', () => {
    const dir = project();
    dirs.push(dir);
    expect(run(dir)).toEqual({ status: 0, tscRuns: 1 });
    expect(run(dir)).toEqual({ status: 0, tscRuns: 1 });
    writeFileSync(join(dir, 'src', 'sub', 'a.ts'), 'export const a = 2;\n');
    expect(run(dir)).toEqual({ status: 0, tscRuns: 2 });
    expect(run(dir)).toEqual({ status: 0, tscRuns: 2 });
    writeFileSync(join(dir, 'tsconfig.json'), '{"compilerOptions": {}}');
    expect(run(dir)).toEqual({ status: 0, tscRuns: 3 });
    rmSync(join(dir, 'dist'), { recursive: true });
    expect(run(dir)).toEqual({ status: 0, tscRuns: 4 });
  });

  it('a failed compile fails the start and is tried again next time', () => {
    const dir = project();
    dirs.push(dir);
    writeFileSync(join(dir, 'fail'), '');
    expect(run(dir)).toEqual({ status: 2, tscRuns: 1 });
    rmSync(join(dir, 'fail'));
    expect(run(dir)).toEqual({ status: 0, tscRuns: 2 });
    expect(run(dir)).toEqual({ status: 0, tscRuns: 2 });
  });
});
