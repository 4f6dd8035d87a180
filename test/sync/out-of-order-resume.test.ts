import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { SyncObject } from '../../src/db/entities/sync-object.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { ShutdownAbort } from '../../src/sync/run/run-start.js';
import { executeSyncRun } from '../../src/sync/run/sync-run.js';
import { startSyntheticS3 } from '../helpers/synthetic-s3.js';
import { startSyncFixture } from './sync-fixture.js';

const KEYS = 2500;

/**
 * A listing whose pages come out of key order records no position, so a resume lists from the
 * start. The objects the run listed before it stopped are still its own: the resume finishes the
 * unfinished ones and counts every one of them once.
 */
describe('a run over an out-of-order listing, stopped and resumed', () => {
  test('counts every listed object once and leaves none unfinished', async () => {
    await using f = await startSyncFixture({ concurrency: 1 });
    await using s3 = await startSyntheticS3({ keys: KEYS, bucket: f.s3.bucket, sizeOf: () => 100 });
    s3.faults.reversePages = true;
    const connector = f.connectorVia(s3.endpoint);
    const runId = await f.createRun();
    const deps = { orm: f.orm, bus: f.bus, config: f.config, logger: pino({ level: 'silent' }), connector };

    // Stopped (as by SIGTERM) when the third page is asked for: two pages (1,100 keys) are recorded, most not fetched.
    const stop = new AbortController();
    s3.faults.beforeList = (n) => {
      if (n === 3) stop.abort(new ShutdownAbort());
    };
    await executeSyncRun(deps, runId, stop.signal);
    const em = f.orm.em.fork();
    const open = await em.count(SyncObject, { jobId: f.jobId, status: { $in: ['PENDING', 'PROCESSING'] } });
    expect(open).toBeGreaterThan(0);
    expect((await em.findOneOrFail(SyncRun, { id: runId })).status).toBe('RUNNING');

    // Resumed with the same run id, as the next start does.
    s3.faults.beforeList = undefined;
    const resumed = await executeSyncRun(deps, runId, new AbortController().signal);
    const run = await f.orm.em.fork().findOneOrFail(SyncRun, { id: runId });
    const rows = await f.rows();
    expect(resumed.status).toBe('SUCCEEDED');
    expect(rows.filter((row) => row.status !== 'PROCESSED').map((row) => row.key)).toEqual([]);
    expect(rows).toHaveLength(KEYS);
    expect(run).toMatchObject({ status: 'SUCCEEDED', objectsTotal: KEYS, objectsDone: KEYS, bytesDone: KEYS * 100 });
  });
});
