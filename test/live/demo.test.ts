import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLES } from '../../scripts/demo/local-s3.js';
import { tempDir } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** `npm run demo` as a newcomer runs it (same node flags), unthrottled and in a temp dir. */
describe('npm run demo', () => {
  it('seeds a local S3, syncs the samples, prints a working GraphiQL link, and stops cleanly on Ctrl-C', async () => {
    await using dir = await tempDir('dss-demo-');
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', 'scripts/demo.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DEMO_DIR: dir.path, DEMO_BANDWIDTH: '0', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    try {
      await waitFor(() => /run 1 SUCCEEDED/.test(out) || child.exitCode !== null, 60_000, 'the first demo run');
      expect(out, err).toMatch(/run 1 SUCCEEDED/);
      // Its narration only: no JSON log line at the demo's level (warn) in a run that goes well.
      expect(out).not.toMatch(/^\{"level"/m);
      for (const { key } of SAMPLES) expect(out).toContain(`✓ ${key}`);

      const link = /(http:\/\/127\.0\.0\.1:\d+\/graphql)\?query=(\S+)/.exec(out);
      expect(link).not.toBeNull();
      const subscription = decodeURIComponent(link![2]!);
      const jobId = /syncProgress\(jobId: "([0-9a-f-]{36})"\)/.exec(subscription)?.[1];
      expect(jobId).toBeDefined();
      const page = await fetch(link![0], { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>data-sync-scheduler</title>');

      // The printed query works as printed.
      const query = /The state of the job[^\n]*\n((?: {4}.*\n)+)/.exec(out)![1]!;
      const response = await fetch(link![1]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const body = (await response.json()) as { data: { job: { status: string; lastRun: { status: string; objectsDone: number } } } };
      expect(body.data.job.lastRun).toMatchObject({ status: 'SUCCEEDED', objectsDone: SAMPLES.length });
      for (const { key, size } of SAMPLES) expect((await stat(join(dir.path, 'downloads', jobId!, key))).size).toBe(size);
    } finally {
      child.kill('SIGINT');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(out).toContain('Stopping…');
    }
  });
});
