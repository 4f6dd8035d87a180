import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { gql, http } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startRunUntilCancelled } from '../helpers/run-until-cancelled.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';

const CANCEL = 'mutation($jobId: ID!) { cancelRun(jobId: $jobId) { job { id } run { id status } } }';

/**
 * An app on a relayed PostgreSQL whose job has a run going; the relay is cut as the run is aborted
 * (the cancel is done), so the run's end waits for the database, as the engine's does.
 */
async function runCutAtItsCancel() {
  const relay = await startRelayedPostgres();
  const running = await startRunUntilCancelled({ name: 'cancel cut', env: { DB_URL: relay.dbUrl }, beforeEnd: () => relay.cut() });
  const runStatus = async () => {
    try {
      return (await running.app.orm.em.fork().findOneOrFail(SyncRun, { id: running.runId })).status;
    } catch {
      return undefined;
    }
  };
  return { ...running, relay, runStatus, [Symbol.asyncDispose]: async () => (await running[Symbol.asyncDispose](), await relay[Symbol.asyncDispose]()) };
}

// README: a mutation whose first write is committed when the database goes away answers with what is
// stored. cancel_run's read-back of the job and its run after the cancel failed on PostgreSQL: 503,
// and the client's retry, once the run had recorded its end, was told 409 "Job has no run in progress".
describe.runIf(onPostgres)('cancel_run / cancelRun when PostgreSQL goes away once the run is cancelled', () => {
  it('cancel_run answers 200 with the job and its run as stored (still RUNNING), which ends CANCELLED', { timeout: 20_000 }, async () => {
    await using cut = await runCutAtItsCancel();
    const cancelled = await http(cut.app, 'POST', '/api/v1/scheduler/cancel_run', { job_id: cut.jobId });
    await cut.relay.mend();
    const ended = await waitFor(async () => (await cut.runStatus()) === 'CANCELLED', { timeoutMs: 10_000, what: 'the run end once the database is back' });
    expect({ status: cancelled.status, message: cancelled.body?.message, job: cancelled.body?.job?.job_id, run: cancelled.body?.run?.run_id, runStatus: cancelled.body?.run?.status, ended }).toEqual({
      status: 200,
      message: 'Run cancelled successfully',
      job: cut.jobId,
      run: cut.runId,
      runStatus: 'RUNNING',
      ended: true,
    });
  });

  it('cancelRun answers the job and its run, not SERVICE_UNAVAILABLE', { timeout: 20_000 }, async () => {
    await using cut = await runCutAtItsCancel();
    const cancelled = await gql<{ cancelRun: { job: { id: string }; run: { id: string; status: string } } }, unknown>(cut.app, CANCEL, { jobId: cut.jobId });
    await cut.relay.mend();
    expect({ errors: cancelled.body.errors, data: cancelled.body.data }).toEqual({
      errors: undefined,
      data: { cancelRun: { job: { id: cut.jobId }, run: { id: String(cut.runId), status: 'RUNNING' } } },
    });
  });
});
