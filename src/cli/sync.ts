// `npm run sync -- --job <id>`: runs one job's sync once, in the foreground, for operators and tests.
import '../config/v8-tiering.js';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config/env.js';
import { withoutStatement } from '../config/statement-text.js';
import { createLogger } from '../config/logger.js';
import { Job, JOB_ID_PATTERN } from '../db/entities/job.entity.js';
import { SyncRun } from '../db/entities/sync-run.entity.js';
import { readDeploymentId } from '../db/deployment-id.js';
import { driverLogTo } from '../db/driver-log.js';
import { initOrm } from '../db/orm.js';
import { createEventBus } from '../events/event-bus.js';
import { acquireCliRun, RunInProgressError } from '../sync/cli-run.js';
import { cliLeaseOwner, createRunLeases } from '../sync/multi/run-leases.js';
import { RunLockedError } from '../sync/local/run-lock.js';
import { executeSyncRun } from '../sync/run/sync-run.js';

const USAGE = 'usage: npm run sync -- --job <job id>';

async function main(): Promise<number> {
  let values: { job?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { job: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (error) {
    // Unknown options, a missing value, positional arguments: bad usage (exit 2), not a failed sync.
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  // As the API reads a job id: surrounding blanks dropped, either case (stored in lower case).
  const jobId = values.job?.trim().toLowerCase();
  if (values.help || !jobId) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (!JOB_ID_PATTERN.test(jobId)) {
    console.error(`not a job id (a UUID): ${jobId}\n${USAGE}`);
    return 2;
  }
  // Settings come from the environment or a .env file in the working directory, as for `npm start`.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const loaded = loadConfig();
  // Never the service's INSTANCE_ID (both read the same .env; README: two live processes must never
  // share one): the CLI's lease and claims are its own, stable across CLI restarts.
  const config = { ...loaded, instanceId: cliLeaseOwner(loaded.instanceId) };
  // Logs go to stderr; stdout carries one JSON summary line.
  const logger = createLogger(config.logLevel, pino.destination(2));
  const orm = await initOrm(config.dbUrl, driverLogTo(logger));
  try {
    const em = orm.em.fork();
    if (!(await em.findOne(Job, { id: jobId }))) {
      console.error(`job not found: ${jobId}`);
      return 2;
    }
    // Its run's events go to this deployment's channels; read before the run is taken, so a failed read leaves none behind.
    const deploymentId = config.redisUrl ? await readDeploymentId(orm) : undefined;
    const controller = new AbortController();
    // A cancel, pause or delete asked through a service instance (PostgreSQL) is seen by the lease
    // heartbeat, as on an instance; a run taken over meanwhile is no longer ours to work on.
    const leases = createRunLeases({
      orm,
      instanceId: config.instanceId,
      ttlMs: config.runLeaseTtlMs,
      logger,
      sharesWork: false,
      onCancelRequested: () => controller.abort(),
      onLost: () => controller.abort(),
    });
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
    // A second signal kills the process, as by default; a stop held longer than SHUTDOWN_TIMEOUT
    // (a database host that hangs) exits 1 with a line saying so, as the service's does.
    const stop = () => {
      controller.abort();
      setTimeout(() => {
        logger.error(`stop did not finish within ${config.shutdownTimeoutMs / 1000} s (SHUTDOWN_TIMEOUT); exiting`);
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
    // With REDIS_URL the run's progress reaches the service's subscribers and dashboard, as an instance's does.
    const redis =
      config.redisUrl && deploymentId ? await (await import('../events/redis-transport.js')).createRedisTransport(config.redisUrl, deploymentId, logger) : undefined;
    const bus = createEventBus({ eventTarget: redis?.eventTarget });
    const { status, stats } = await executeSyncRun({ orm, bus, config, logger }, run.id, controller.signal).finally(async () => {
      await leases.stop();
      await acquired.release();
      await redis?.close();
    });
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
    // Never a database statement (its values may hold keys, prefixes, URLs): the driver's reason only.
    console.error(error instanceof ConfigError ? error.message : `sync failed: ${withoutStatement((error as Error).message)}`);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  },
);
