import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { succeedsWithin } from '../../src/config/succeeds-within.js';

const run = promisify(execFile);
const MODULE = fileURLToPath(new URL('../../src/config/succeeds-within.ts', import.meta.url));

/** What a process prints when its only pending work is a wait on a promise that never settles. */
async function waitAlone(options: string): Promise<string> {
  const script = `import { succeedsWithin } from ${JSON.stringify(MODULE)};
succeedsWithin(new Promise(() => {}), 200, ${options}).then((ok) => console.log('answered', ok));`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
  return stdout.trim();
}

describe('succeedsWithin', () => {
  test('true when the work succeeds in time, false when it fails or is late', async () => {
    expect(await succeedsWithin(Promise.resolve('done'), 1000)).toBe(true);
    expect(await succeedsWithin(Promise.reject(new Error('refused')), 1000)).toBe(false);
    expect(await succeedsWithin(new Promise(() => {}), 50)).toBe(false);
  });

  test('its timer holds the process open only with holdOpen (a shutdown waiting for its runs)', async () => {
    expect(await waitAlone('{ holdOpen: true }')).toBe('answered false');
    // A readiness probe's wait never keeps an otherwise finished process alive.
    expect(await waitAlone('{}')).toBe('');
  });
});
