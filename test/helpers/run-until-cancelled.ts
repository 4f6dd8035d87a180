import { whileDatabaseDown } from '../../src/db/database-outage.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import type { Orm } from '../../src/db/orm.js';
import type { RunExecutor } from '../../src/sync/run-executor.js';
import { createJobOverRest } from './jobs.js';
import { waitFor } from './poll.js';
import { startTestApp, type TestApp } from './test-app.js';

export interface RunUntilCancelled extends AsyncDisposable {
  app: TestApp;
  jobId: string;
  /** The job's first run, going until it is cancelled. */
  runId: number;
}

/**
 * An app whose runs go on until they are aborted, then end as the engine's do: CANCELLED, written
 * through whileDatabaseDown (so the end waits out a database outage or lock). `beforeEnd` runs
 * first at the abort (e.g. cutting the database off). Returns once the first run of a job created
 * over REST as `name` has started.
 */
export async function startRunUntilCancelled(options: { name: string; env?: Record<string, string>; beforeEnd?: () => Promise<void> }): Promise<RunUntilCancelled> {
  const ref: { orm?: Orm } = {};
  const started: number[] = [];
  const execute: RunExecutor = (runId, signal) => {
    started.push(runId);
    return new Promise((resolve) => {
      signal.addEventListener('abort', () => {
        const end = () => whileDatabaseDown(() => ref.orm!.em.fork().nativeUpdate(SyncRun, { id: runId }, { status: 'CANCELLED', finishedAt: new Date() })).then(() => resolve('CANCELLED'));
        void (options.beforeEnd ? options.beforeEnd().then(end) : end());
      }, { once: true });
    });
  };
  const app = await startTestApp({ env: options.env, build: { execute } });
  ref.orm = app.orm;
  try {
    const jobId = await createJobOverRest(app, { name: options.name, schedule: 'hourly', bucket: 'bkt', prefix: 'p/' });
    await waitFor(() => started.length === 1, { what: 'the first run' });
    return { app, jobId, runId: started[0]!, [Symbol.asyncDispose]: () => app[Symbol.asyncDispose]() };
  } catch (error) {
    await app.stop();
    throw error;
  }
}
