import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/config/logger.js';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { buildApp } from '../../src/server.js';
import { gql } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import type { TestApp } from '../helpers/test-app.js';

export interface FinishedRun {
  id: string;
  status: string;
  error: string | null;
}

const LAST_RUN = `query ($id: ID!) { job(id: $id) { lastRun { id status error } } }`;
const TRIGGER = `mutation ($id: ID!) { triggerJob(id: $id) { run { id } } }`;

/** The job's latest run once it has ended, waiting for one newer than run `after`. */
export async function runAfter(app: TestApp, jobId: string, after = 0): Promise<FinishedRun> {
  // Waited for in the database first: a GraphQL request every 10 ms would take the CPU from the run
  // (on the test's thread, or on the engine thread, which yields to the API's).
  await waitFor(() => app.orm.em.fork().count(SyncRun, { jobId, id: { $gt: after }, status: { $ne: 'RUNNING' } }), 15_000, 'a run to end');
  return waitFor(
    async () => {
      const run = (await gql<{ job: { lastRun: FinishedRun | null } }, unknown>(app, LAST_RUN, { id: jobId })).body.data?.job.lastRun;
      return run && Number(run.id) > after && run.status !== 'RUNNING' ? run : undefined;
    },
    15_000,
    'the run to finish',
  );
}

/** Triggers a run of the job and waits for it to end. */
export async function triggerAndWait(app: TestApp, jobId: string): Promise<FinishedRun> {
  const triggered = await gql<{ triggerJob: { run: { id: string } } }, unknown>(app, TRIGGER, { id: jobId });
  return runAfter(app, jobId, Number(triggered.body.data!.triggerJob.run.id) - 1);
}

/** What building `app` again (stopped, on its database and download folder) with `env` throws; null when it builds. */
export function restartError(app: TestApp, env: Record<string, string> = {}): Promise<Error | null> {
  const base = { PORT: '0', HOST: '127.0.0.1', DB_URL: app.config.dbUrl, DOWNLOAD_ROOT_FOLDER: app.config.downloadRoot, LOG_LEVEL: 'silent' };
  return buildApp(loadConfig({ ...base, ...env })).then(
    async (built) => {
      await built.stop();
      return null;
    },
    (error: Error) => error,
  );
}

/** Every log line the app writes, at the most verbose level, as raw text. */
export function capturedLog() {
  const text: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('trace', stream), text: () => text.join('') };
}
