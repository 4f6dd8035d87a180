import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { runCli, startCli } from './sync-cli.js';
import { CHUNK, startSyncFixture } from '../sync/sync-fixture.js';



describe('npm run sync', () => {
  it('reads the .env file of its working directory, as the service and the README say', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject('a.txt', 'alpha');
    const cwd = await mkdtemp(join(tmpdir(), 'dss-cli-'));
    try {
      await writeFile(
        join(cwd, '.env'),
        [
          `DB_URL=${f.config.dbUrl}`,
          `DOWNLOAD_ROOT_FOLDER=${f.config.downloadRoot}`,
          `AWS_ENDPOINT_URL_S3=${f.s3.endpoint}`,
          'S3_FORCE_PATH_STYLE=true',
          'LOG_LEVEL=warn',
          ...Object.entries(f.s3.env).map(([k, v]) => `${k}=${v}`),
          '',
        ].join('\n'),
      );
      const done = await runCli(['--job', f.jobId], {}, cwd);
      expect(done.stderr).not.toContain('job not found');
      expect(done.code, done.stderr).toBe(0);
      expect(await sha256File(join(f.root, 'a.txt'))).toBe(sha256('alpha'));
      // Nothing was created from the defaults instead.
      expect(existsSync(join(cwd, 'data'))).toBe(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it.each([
    [['--jbo', 'x']],
    [['--job']],
    [['11111111-1111-4111-8111-111111111111']],
  ])('bad usage %j exits 2 with the usage line, not "sync failed" (exit 1)', async (args) => {
    const cwd = await mkdtemp(join(tmpdir(), 'dss-cli-'));
    try {
      const done = await runCli(args, { DB_URL: `sqlite:${join(cwd, 'db.sqlite')}`, LOG_LEVEL: 'silent' }, cwd);
      expect(done.stderr).toContain('usage: npm run sync -- --job <job id>');
      expect(done.code).toBe(2);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('SIGINT mid-run: exits 1 with a CANCELLED summary, no file at the final path, and the next run resumes from the checkpoint', async () => {
    await using f = await startSyncFixture();
    const big = seededBytes(40 * CHUNK, 3);
    await f.s3.putObject('big.bin', big);
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    let slow = true;
    proxy.setRule((req) => (slow && req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond: 8 * CHUNK } : undefined));
    const run = startCli(f, proxy.endpoint, { env: { AWS_SECRET_ACCESS_KEY: 'S3RVER', LOG_LEVEL: 'info' } });
    await waitFor(async () => ((await f.row('big.bin'))?.lastPosition ?? 0) >= 4 * CHUNK, 30_000, 'chunks committed');
    run.child.kill('SIGINT');
    const done = await run.exit;
    expect(done.code, done.stderr).toBe(1);
    expect(JSON.parse(done.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'CANCELLED' });
    expect(existsSync(join(f.root, 'big.bin'))).toBe(false);
    const committed = (await f.row('big.bin'))!.lastPosition;
    expect(committed).toBeGreaterThanOrEqual(4 * CHUNK);
    // no lock left behind
    expect((await readdir(join(f.root, '.dss-partial'))).filter((n) => n.startsWith('run.lock'))).toEqual([]);
    slow = false;
    proxy.resetCounts();
    const again = await startCli(f, proxy.endpoint).exit;
    expect(again.code, again.stderr).toBe(0);
    expect(await sha256File(join(f.root, 'big.bin'))).toBe(sha256(big));
    expect(proxy.counts.bytesToClient).toBeLessThanOrEqual(big.length - committed + CHUNK);
    // secrets never printed
    expect(done.stdout + done.stderr).not.toContain('S3RVER"');
  });
});
