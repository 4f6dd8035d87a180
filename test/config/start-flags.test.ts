import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../../bench/build-children.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** `npm start` runs `node <flags> dist/main.js`; its flags are read as the benchmark reads them. */
function npmStartFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(manifest.scripts.start).toMatch(/\bnode(\s+--\S+)*\s+dist\/main\.js\b/);
  return SERVICE_NODE_FLAGS;
}

/** The Node flags of the image's CMD (its exec form). */
function dockerCmdFlags(): string[] {
  const cmd = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('CMD '))
    .at(-1);
  const argv = JSON.parse(cmd!.slice('CMD '.length)) as string[];
  expect(argv[0]).toBe('node');
  expect(argv.at(-1)).toBe('dist/main.js');
  return argv.slice(1, -1);
}

describe('the service is started with the same Node flags everywhere', () => {
  it('npm start and the Dockerfile pass the same flags', () => {
    expect(npmStartFlags().length).toBeGreaterThan(0);
    expect(dockerCmdFlags()).toEqual(npmStartFlags());
  });

  it('this Node accepts every flag (an unknown one makes node exit with 9)', () => {
    const result = spawnSync(process.execPath, [...npmStartFlags(), '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
