import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { createRunExecutor, type RunExecutor } from '../../src/sync/run-executor.js';
import { gqlData, wsClient } from '../helpers/clients.js';
import { seededBytes } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';
import { silentLogger } from '../scheduler/test-db.js';

/**
 * A PostgreSQL restart that lands between a run's row going in (a tick, a trigger, a takeover) and
 * the engine's first read of that row. Under 3 instances with 60 jobs on 2-3 s schedules one
 * restart of PostgreSQL ended 27 of ~250 runs this way.
 */
describe('a run whose database goes away just as it starts', () => {
  it('waits for the database like the rest of the run, instead of ending FAILED with no error and no RUN_FINISHED', async () => {
    await using relay = await startRelayedPostgres();
    await using s3 = await startS3Server();
    await s3.putObjects([['data/a.bin', seededBytes(10_000, 1)], ['data/b.bin', seededBytes(20_000, 2)]]);
    // Built once the app (and its ORM) is up.
    const real: { engine?: RunExecutor } = {};
    let cutAtNextStart = false;
    // The real engine; the relay is cut just before it reads the run row, and mended 1.5 s later.
    const execute: RunExecutor = async (runId, signal, logger) => {
      if (cutAtNextStart) {
        cutAtNextStart = false;
        // After the trigger's answer has gone out (SYNC_THREAD=false runs the engine on this thread).
        await new Promise((r) => setTimeout(r, 300));
        await relay.cut();
        setTimeout(() => void relay.mend(), 1_500);
      }
      return real.engine!(runId, signal, logger);
    };
    await using app = await startTestApp({ env: { ...s3.env, DB_URL: relay.dbUrl, INSTANCE_ID: 'a', RUN_LEASE_TTL: '3s' }, build: { execute } });
    real.engine = createRunExecutor({ orm: app.orm, bus: app.bus, config: app.config, logger: silentLogger });
    const job = await app.services.jobs.create({ name: 'outage at start', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: s3.bucket, prefix: 'data/' } });

    const client = wsClient(app.wsUrl);
    const events: Array<{ kind: string; runId: string | null }> = [];
    const unsubscribe = client.subscribe<{ syncProgress: { kind: string; runId: string | null } }>(
      { query: 'subscription($jobId: ID) { syncProgress(jobId: $jobId) { kind runId } }', variables: { jobId: job.id } },
      { next: (m) => m.data && events.push(m.data.syncProgress), error: () => {}, complete: () => {} },
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      cutAtNextStart = true;
      const data = await gqlData(app, 'mutation($id: ID!) { triggerJob(id: $id) { run { id status } } }', { id: job.id });
      const runId = Number(data.triggerJob.run.id);
      const ended = await waitFor(async () => {
        const row = await app.orm.em.fork().findOne(SyncRun, { id: runId }).catch(() => null);
        return row && row.status !== 'RUNNING' ? row : undefined;
      }, 30_000, 'the run to end');
      // Waited out, or (a read that met the outage) handed back and resumed once its short lease ran out.
      expect({ status: ended.status, error: ended.error, objectsDone: ended.objectsDone }).toEqual({ status: 'SUCCEEDED', error: null, objectsDone: 2 });
      await waitFor(() => events.some((e) => e.kind === 'RUN_FINISHED' && e.runId === String(runId)), 5_000, 'RUN_FINISHED');
    } finally {
      unsubscribe();
      await client.dispose();
    }
  }, 60_000);
});
