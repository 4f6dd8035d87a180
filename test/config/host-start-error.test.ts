import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceEntry } from '../helpers/service-bundle.js';

/** Runs `npm start`'s entry point with `env` in a fresh folder; resolves with its exit code and stderr. */
async function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'dss-host-'));
  try {
    const child = spawn(process.execPath, [serviceEntry('main')], { cwd, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stderr };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/**
 * Contract §1: "Every variable is validated at start-up; a bad value stops the process with one clear
 * line naming the variable, the value's problem and an example of a good value". HOST is in the table.
 */
describe('a HOST the process cannot bind', () => {
  it.each([
    ['a name that does not resolve', 'no-such-host.invalid'],
    ['an address of another machine', '192.0.2.1'],
  ])('%s: exit 1 with one line naming HOST and an example', async (_label, host) => {
    const { code, stderr } = await runMain({ HOST: host });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^invalid HOST \\(got "${host.replace(/\./g, '\\.')}"\\): .+, e\\.g\\. 0\\.0\\.0\\.0`));
  });
});
