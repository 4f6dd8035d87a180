import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { throttleObjectGets } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { onPostgres } from '../helpers/db-url.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startCli } from '../sync/sync-cli.js';
import { CHUNK, startSyncFixture } from '../sync/sync-fixture.js';

/** A link slow enough that the CLI is still syncing while the service starts and looks at its run. */
const SLOW_LINK = 8 * CHUNK;

describe('the service starting on the same SQLite database while the CLI syncs a job', () => {
  // README: set a stable INSTANCE_ID (in .env, which npm run sync reads as well): shared or not, the CLI's run is its own.
  it.skipIf(onPostgres).each<{ instances: string; instanceId: Record<string, string> }>([
    { instances: 'its own INSTANCE_ID each', instanceId: {} },
    { instances: 'one INSTANCE_ID shared', instanceId: { INSTANCE_ID: 'dss-main' } },
  ])('leaves the CLI run alone, with $instances; the CLI then ends it SUCCEEDED', async ({ instanceId }) => {
    await using f = await startSyncFixture();
    await f.s3.putObject('big.bin', seededBytes(40 * CHUNK, 4));
    // One GET for the whole object, trickled until the test lifts the throttle: the CLI is still at
    // it while the service starts, then ends at once.
    await using proxy = await throttleObjectGets(f.s3, SLOW_LINK);
    const cli = startCli(f, proxy.endpoint, { env: instanceId });
    await waitFor(async () => ((await f.row('big.bin'))?.lastPosition ?? 0) >= 2 * CHUNK, 30_000, 'chunks committed');
    const cliRun = await f.orm.em.fork().findOneOrFail(SyncRun, { jobId: f.jobId, status: 'RUNNING' });
    // The operator starts the service (same DB_URL and download root) while the CLI is still at it.
    await using app = await startTestApp({
      env: { ...f.s3.env, ...instanceId, DB_URL: f.config.dbUrl, DOWNLOAD_ROOT_FOLDER: f.config.downloadRoot, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: String(CHUNK) },
    });
    await new Promise((r) => setTimeout(r, 1500));
    const meanwhile = await app.orm.em.fork().findOneOrFail(SyncRun, { id: cliRun.id });
    proxy.liftThrottle();
    const done = await cli.exit;
    const after = await app.orm.em.fork().findOneOrFail(SyncRun, { id: cliRun.id });
    expect({ status: meanwhile.status, error: meanwhile.error }).toEqual({ status: 'RUNNING', error: null });
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(after.status).toBe('SUCCEEDED');
  });
});

describe('CLI and service reading the same .env (same INSTANCE_ID)', () => {
  it.skipIf(onPostgres)('the CLI finishing a run the stopped service handed back (trigger SCHEDULE): the service starting meanwhile leaves it alone', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject('big.bin', seededBytes(40 * CHUNK, 5));
    await using proxy = await throttleObjectGets(f.s3, SLOW_LINK);
    // What a graceful stop leaves: RUNNING, its lease expired, trigger SCHEDULE.
    const handedBack = new SyncRun({ jobId: f.jobId, trigger: 'SCHEDULE', status: 'RUNNING', startedAt: new Date(), scheduledFor: new Date(), instanceId: 'old-service', leaseOwner: 'old-service', leaseExpiresAt: new Date(Date.now() - 1000) } as never);
    await f.orm.em.fork().persistAndFlush(handedBack);
    const cli = startCli(f, proxy.endpoint);
    await waitFor(async () => ((await f.row('big.bin'))?.lastPosition ?? 0) >= 2 * CHUNK, 30_000, 'chunks committed');
    await using app = await startTestApp({
      env: { ...f.s3.env, DB_URL: f.config.dbUrl, DOWNLOAD_ROOT_FOLDER: f.config.downloadRoot, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: String(CHUNK) },
    });
    await new Promise((r) => setTimeout(r, 1500));
    const meanwhile = await app.orm.em.fork().findOneOrFail(SyncRun, { id: handedBack.id });
    proxy.liftThrottle();
    await cli.exit;
    expect({ status: meanwhile.status, error: meanwhile.error }).toEqual({ status: 'RUNNING', error: null });
  });
});

