import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { afterFlushOf } from '../helpers/flush-hook.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { lockWhenTold } from '../helpers/sqlite-write-lock.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';

const NAME = 'first run owed';

// The creating process keeps nothing the next one needs: what the job owes is in its row from the insert on.
describe('a created job whose database goes away right after its row commits, and whose creating process stops before it is back', () => {
  it('has its first run (CREATED) started by the next instance once the database is back, not left to its schedule', async () => {
    await using s3 = await startS3Server();
    const body = seededBytes(40_000, 3);
    await s3.putObject('first/a.bin', body);
    // PostgreSQL goes down; SQLite's write lock is held by another process past the busy timeout.
    await using relay = onPostgres ? await startRelayedPostgres() : undefined;
    await using creator = await startTestApp({ env: { ...s3.env, ...(relay && { DB_URL: relay.dbUrl }) } });
    const lock = relay ? undefined : await lockWhenTold(creator);
    const goAway = relay ? relay.cut : lock!.take;
    afterFlushOf(creator.orm, (set) => set.type === 'create' && set.entity instanceof Job && set.entity.name === NAME, goAway);

    const created = await http(creator, 'POST', '/api/v1/scheduler/create_job', {
      job_name: NAME,
      connector_type: 'S3',
      schedule: 'daily',
      connector_config: { bucket_name: s3.bucket, prefix: 'first/' },
    });
    expect({ status: created.status, message: created.body.message }).toEqual({ status: 200, message: 'Job scheduled successfully' });
    const jobId = created.body.job_id as string;
    // The process goes before the database is back (a stop here, kill -9 or a crash alike: nothing of its memory survives).
    await creator.stop();
    await (relay ? relay.mend() : lock!.release());

    await using next = await startTestApp({ env: { ...s3.env, DB_URL: creator.config.dbUrl } });
    const run = await waitFor(async () => {
      const row = await next.orm.em.fork().findOne(SyncRun, { jobId });
      return row && row.status !== 'RUNNING' ? row : undefined;
    }, 10_000, 'the first run to end');
    // Before the fix: the first run was the creator's memory only; the next start caught the job up
    // as CATCH_UP (and an instance already running when the database came back ran it a day later).
    expect({ trigger: run.trigger, status: run.status, objectsDone: run.objectsDone }).toEqual({ trigger: 'CREATED', status: 'SUCCEEDED', objectsDone: 1 });
    expect(await sha256File(join(next.config.downloadRoot, jobId, 'first/a.bin'))).toBe(sha256(body));
    expect(await next.orm.em.fork().count(SyncRun, { jobId })).toBe(1);
  }, 30_000);
});
