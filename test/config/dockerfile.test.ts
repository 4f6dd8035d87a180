import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** `.dockerignore` as Docker reads it: the last pattern matching a path or one of its parent folders decides. */
function inBuildContext(path: string): boolean {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ excludes: !line.startsWith('!'), matches: picomatch(line.replace(/^!/, ''), { dot: true }) }));
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const rule of rules) if (prefixes.some((prefix) => rule.matches(prefix))) included = !rule.excludes;
  return included;
}

/** The sources of the Dockerfile's `COPY` lines that read the build context (not `--from` another stage). */
function contextSources(): string[] {
  return readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
}

describe('the Docker build context', () => {
  it('holds every file the Dockerfile copies from it, and none of the secrets or local state', () => {
    const sources = contextSources();
    expect(sources).toContain('scripts/build-server.ts');
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), `${source} exists`).toBe(true);
      expect(inBuildContext(source), `${source} is in the build context`).toBe(true);
    }
    for (const kept of ['.env', '.env.local', 'node_modules', 'dist', 'data', 'downloads', '.git']) {
      expect(inBuildContext(kept), `${kept} stays out`).toBe(false);
    }
    expect(inBuildContext('.env.example')).toBe(true);
  });
});

/** The image's `ENV` settings (`KEY=value` pairs of its runtime stage's `ENV` instruction). */
function runtimeEnv(): Record<string, string> {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'));
  const instruction = /^ENV ((?:.*\\\n)*.*)$/m.exec(runtime)?.[1] ?? '';
  return Object.fromEntries(instruction.split(/\s*\\\n\s*|\s+/).filter(Boolean).map((pair) => pair.split('=', 2) as [string, string]));
}

describe('the image', () => {
  it("stops within docker stop's default 10 s grace period, so an overrunning stop exits with its own log line", () => {
    const env = runtimeEnv();
    expect(env.NODE_ENV).toBe('production');
    const { shutdownTimeoutMs } = loadConfig({ ...env, DOWNLOAD_ROOT_FOLDER: tmpdir() });
    expect(shutdownTimeoutMs).toBeLessThan(10_000);
  });
});
