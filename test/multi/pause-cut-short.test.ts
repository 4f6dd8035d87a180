import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import { gql } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';
import { createFakeExecutor } from '../scheduler/fake-executor.js';

const PAUSE = 'mutation($id: ID!) { pauseJob(id: $id) { job { status } } }';

/**
 * pauseJob wrote PAUSED, then (another statement) marked the job's RUNNING runs and cancelled them.
 * When the database went away between the two (a PostgreSQL restart; likewise the instance killed
 * there), the job was PAUSED but nothing stopped the run, which synced to its end for a paused
 * job, and a client told to retry was answered "Job is already paused". Under the 3-instance storm, 3 paused jobs had an unmarked RUNNING run this way.
 */
describe('a pause cut short by a database outage after its first write', () => {
  async function pauseCutShort(env: Record<string, string> = {}) {
    const relay = await startRelayedPostgres();
    const ref: { orm?: Orm } = {};
    const fake = createFakeExecutor(() => ref.orm!);
    const app = await startTestApp({ env: { DB_URL: relay.dbUrl, ...env }, build: { execute: fake.execute } });
    ref.orm = app.orm;
    const job = await app.services.jobs.create({ name: 'pause cut', connectorType: 'S3', schedule: 'daily', connectorConfig: { bucketName: 'bucket-a' } });
    await waitFor(() => fake.calls.length === 1, 5000, 'the first run to start');

    // The database goes away right after the pause's first write, and is back a second later.
    const runner = app.runner as { unschedule(id: string): void };
    const unschedule = runner.unschedule.bind(runner);
    let backUp: Promise<void> | undefined;
    runner.unschedule = (id) => {
      unschedule(id);
      runner.unschedule = unschedule;
      void relay.cut();
      backUp = new Promise<void>((resolve) => setTimeout(resolve, 1_000)).then(() => relay.mend());
    };
    const first = await gql<{ pauseJob: { job: { status: string } } }, unknown>(app, PAUSE, { id: job.id });
    // PAUSED is committed, so that is the answer (README: a mutation whose first write is committed answers with what is stored).
    expect(first.body.data?.pauseJob.job.status).toBe('PAUSED');
    const runStatus = async () => (await app.orm.em.fork().findOneOrFail(SyncRun, { id: fake.calls[0]!.runId })).status;
    const stopped = async () => fake.calls[0]!.signal.aborted && (await runStatus()) !== 'RUNNING';
    return { app, job, fake, runStatus, stopped, backUp, [Symbol.asyncDispose]: async () => (await app[Symbol.asyncDispose](), await relay[Symbol.asyncDispose]()) };
  }

  it('still stops the running sync once the client retries', { timeout: 30_000 }, async () => {
    await using cut = await pauseCutShort();
    // The client tries again once the database is back.
    await cut.backUp;
    const again = await gql(cut.app, PAUSE, { id: cut.job.id });
    const answered = again.body.errors?.[0]?.extensions?.code ?? 'ok';
    // Either answer is fine; what matters is that the run of the paused job stops.
    expect(['ok', 'CONFLICT']).toContain(answered);
    await waitFor(cut.stopped, 3_000, 'the run to stop').catch(() => {});
    // Before: the retry answered CONFLICT "Job is already paused", and the run was still RUNNING, never asked to stop.
    expect({ answered, aborted: cut.fake.calls[0]!.signal.aborted, status: await cut.runStatus() }).toEqual({ answered, aborted: true, status: 'CANCELLED' });
  });

  it('stops the running sync with no retry: the lease heartbeat sees the cancel', { timeout: 30_000 }, async () => {
    // A lease outliving the outage, renewed every second.
    await using cut = await pauseCutShort({ RUN_LEASE_TTL: '3s' });
    // The database is back after 1 s; no client asks again.
    await waitFor(cut.stopped, 6_500, 'the run to stop').catch(() => {});
    // Before: the run was still RUNNING (nothing had asked it to stop).
    expect({ aborted: cut.fake.calls[0]!.signal.aborted, status: await cut.runStatus() }).toEqual({ aborted: true, status: 'CANCELLED' });
  });
});
