import { mkdir, mkdtemp, rm, stat, symlink, utimes, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onPostgres } from '../helpers/db-url.js';
import { startCli } from '../sync/sync-cli.js';
import { startSyncFixture } from '../sync/sync-fixture.js';
import { acquireCliRun } from '../../src/sync/cli-run.js';
import { createRunLeases } from '../../src/sync/multi/run-leases.js';
import { pino } from 'pino';

describe('npm run sync and a linked .dss-partial', () => {
  it.skipIf(onPostgres)('acquireCliRun (SQLite) takes its pid lock inside the folder a linked .dss-partial points to', async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await mkdir(f.root, { recursive: true });
      await symlink(outside, join(f.root, '.dss-partial'));
      const leases = createRunLeases({ orm: f.orm, instanceId: 'cli', ttlMs: 30_000, logger: pino({ level: 'silent' }), sharesWork: false });
      const acquired = await acquireCliRun(f.orm, f.config, leases, f.jobId).catch((e: unknown) => e);
      const written = await readdir(outside);
      if (acquired && typeof (acquired as { release?: unknown }).release === 'function') await (acquired as { release(): Promise<void> }).release();
      expect(written, 'lock files written outside the job folder').toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it.skipIf(onPostgres)('the real CLI leaves the folder a linked .dss-partial points to untouched', async () => {
    await using f = await startSyncFixture();
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      await f.s3.putObject('a.txt', 'x');
      await mkdir(f.root, { recursive: true });
      await symlink(outside, join(f.root, '.dss-partial'));
      const past = new Date('2001-01-01T00:00:00Z');
      await utimes(outside, past, past);
      const done = await startCli(f, f.s3.endpoint).exit;
      expect(done.code).toBe(1);
      expect((await stat(outside)).mtime.getTime(), 'a folder outside the job folder was modified by the CLI').toBe(past.getTime());
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
