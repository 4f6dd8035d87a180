// `npm run sync -- --job <id>`: runs one job's sync once, in the foreground, for operators and tests.
import '../config/v8-tiering.js';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config/env.js';
import { createLogger } from '../config/logger.js';
import { Job } from '../db/entities/job.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import { initOrm } from '../db/orm.js';
import { createEventBus } from '../events/event-bus.js';
import { acquireCliRun, RunInProgressError } from '../sync/cli-run.js';
import { createRunLeases } from '../sync/multi/run-leases.js';
import { RunLockedError } from '../sync/local/run-lock.js';
import { executeSyncRun } from '../sync/run/sync-run.js';

const USAGE = 'usage: npm run sync -- --job <job id>';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { job: { type: 'string' }, help: { type: 'boolean' } } });
  const jobId = values.job?.trim();
  if (values.help || !jobId) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  // Logs go to stderr; stdout carries one JSON summary line.
  const logger = createLogger(config.logLevel, pino.destination(2));
  const orm = await initOrm(config.dbUrl);
  try {
    const em = orm.em.fork();
    if (!(await em.findOne(Job, { id: jobId }))) {
      console.error(`job not found: ${jobId}`);
      return 2;
    }
    const leases = createRunLeases({ orm, instanceId: config.instanceId, ttlMs: config.runLeaseTtlMs, logger, sharesWork: false });
    // Renewed from the start: taking a run over may wait for its helpers to leave.
    leases.start();
    let acquired: Awaited<ReturnType<typeof acquireCliRun>>;
    try {
      acquired = await acquireCliRun(orm, config, leases, jobId);
    } catch (error) {
      await leases.stop();
      if (!(error instanceof RunInProgressError || error instanceof RunLockedError)) throw error;
      console.error(error.message);
      return 1;
    }
    const run = { id: acquired.runId };
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop).once('SIGTERM', stop);
    const { status, stats } = await executeSyncRun({ orm, bus: createEventBus(), config, logger }, run.id, controller.signal).finally(
      async () => {
        await leases.stop();
        await acquired.release();
      },
    );
    const row = await orm.em.fork().findOne(SyncRun, { id: run.id });
    const summary = {
      runId: run.id,
      jobId,
      status,
      objectsTotal: row?.objectsTotal,
      objectsDone: row?.objectsDone,
      objectsFailed: row?.objectsFailed,
      objectsSkipped: row?.objectsSkipped,
      bytesTotal: row?.bytesTotal,
      bytesDone: row?.bytesDone,
      error: row?.error ?? null,
      stats,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await orm.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `sync failed: ${(error as Error).message}`);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  },
);
