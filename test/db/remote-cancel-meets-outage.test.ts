import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';

// README: a mutation whose first write is committed when the database goes away answers with what is
// stored. A cancel of a run another instance holds records the request on the run row, then reads
// the row until the holder has ended the run: that read failing answered 503, and the retry, once
// the holder had stopped the run, was told 409 "Job has no run in progress".
describe.runIf(onPostgres)('cancel_run of a run held elsewhere when PostgreSQL goes away once the request is recorded', () => {
  it('answers 200 with the run as it was (RUNNING), left to its holder to stop', { timeout: 20_000 }, async () => {
    await using relay = await startRelayedPostgres();
    await using app = await startTestApp({ env: { DB_URL: relay.dbUrl } });
    const jobId = (await http(app, 'POST', '/api/v1/scheduler/create_job', { job_name: 'held elsewhere', connector_type: 'S3', schedule: 'hourly', connector_config: { bucket_name: 'bkt', prefix: 'p/' }, paused: true })).body.job_id as string;
    const at = new Date();
    const held = new SyncRun({ jobId, trigger: 'MANUAL', status: 'RUNNING', startedAt: at, scheduledFor: at, instanceId: 'elsewhere', leaseOwner: 'elsewhere', leaseExpiresAt: new Date(at.getTime() + 3_600_000) });
    await app.orm.em.fork().persist(held).flush();

    const answer = http(app, 'POST', '/api/v1/scheduler/cancel_run', { job_id: jobId });
    await waitFor(async () => (await app.orm.em.fork().findOneOrFail(SyncRun, { id: held.id })).cancelRequestedAt, { what: 'the cancel request on the run row' });
    await relay.cut();
    const cancelled = await answer;
    await relay.mend();
    expect({ status: cancelled.status, message: cancelled.body?.message, run: cancelled.body?.run?.run_id, runStatus: cancelled.body?.run?.status }).toEqual({
      status: 200,
      message: 'Run cancelled successfully',
      run: held.id,
      runStatus: 'RUNNING',
    });
  });
});
