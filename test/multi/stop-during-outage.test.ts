import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { initOrm } from '../../src/db/orm.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { createJobOverRest } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startInstance } from './instance-process.js';
import { startOwnPostgresSource } from './own-postgres-source.js';

const CHUNK = 64 * 1024;
/** README: requests get up to 5 s, runs up to 5 s more; a few seconds on top for a loaded machine. A bound on a hang, not a timing. */
const STOP_DEADLINE_MS = 10_000 + 2_000;

describe('SIGTERM while PostgreSQL is down', () => {
  it('exits with code 0 before the stop deadline, and a restart with the database back resumes the run byte-identical', async () => {
    const body = seededBytes(24 * CHUNK + 321, 7);
    await using source = await startOwnPostgresSource([['big/large.bin', body]], 256 * 1024);
    const { pg, s3, proxy } = source;
    const env = source.instanceEnv({ S3_CHUNK_SIZE: '64KiB', SYNC_CONCURRENCY: '2', RUN_LEASE_TTL: '3s', INSTANCE_ID: 'dss-0' });
    let instance = await startInstance(env);
    try {
      const jobId = await createJobOverRest(instance, { name: 'large', schedule: 'daily', bucket: s3.bucket, prefix: 'big/' });
      const committedBefore = await withOrm(pg.url, (orm) =>
        waitFor(async () => {
          const at = (await orm.em.fork().findOne(SyncObject, { jobId }))?.lastPosition ?? 0;
          return at >= 2 * CHUNK ? at : 0;
        }, 60_000, 'two chunks committed'),
      );
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      await pg.restart(async () => {
        // The run's writes and the lease heartbeat are waiting for the database when the stop comes.
        await waitFor(() => /sync run database writes wait/.test(instance.output()) && /run lease heartbeat failed/.test(instance.output()), 30_000, 'the run to wait for the database');
        const exited = new Promise<boolean>((resolve) => instance.child.once('exit', () => resolve(true)));
        instance.child.kill('SIGTERM');
        const deadline = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STOP_DEADLINE_MS).unref());
        expect(await Promise.race([exited, deadline]), `exited within ${STOP_DEADLINE_MS} ms of SIGTERM`).toBe(true);
        exit = { code: instance.child.exitCode, signal: instance.child.signalCode };
      });
      expect(exit).toEqual({ code: 0, signal: null });
      expect(instance.output()).toContain('stopping while the database is unreachable');

      // The slow link only had to keep the run going until the stop; the restarted instance need not crawl.
      proxy.setRule(undefined);
      instance = await startInstance(env);
      const { finished, runs } = await withOrm(pg.url, async (orm) => ({
        finished: await waitFor(async () => {
          const row = await orm.em.fork().findOne(SyncRun, { jobId });
          return row && row.status !== 'RUNNING' ? row : undefined;
        }, 60_000, 'the restarted instance to finish the run'),
        runs: await orm.em.fork().count(SyncRun, { jobId }),
      }));
      expect(finished).toMatchObject({ status: 'SUCCEEDED', objectsDone: 1, objectsFailed: 0, error: null });
      expect(runs, 'the same run resumed, not a new one').toBe(1);
      expect(committedBefore).toBeGreaterThan(0);
      expect(await sha256File(join(env.DOWNLOAD_ROOT_FOLDER, jobId, 'big/large.bin'))).toBe(sha256(body));
    } finally {
      await instance.kill9();
    }
  }, 120_000);
});

async function withOrm<T>(url: string, use: (orm: Awaited<ReturnType<typeof initOrm>>) => Promise<T>): Promise<T> {
  const orm = await initOrm(url);
  try {
    return await use(orm);
  } finally {
    await orm.close(true);
  }
}
