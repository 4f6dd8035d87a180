import { describe, expect, it } from 'vitest';
import { SyncRun } from '../../src/db/entities/sync-run.entity.js';
import { gql } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { startCli } from './sync-cli.js';
import { CHUNK, startSyncFixture } from './sync-fixture.js';

describe.skipIf(onPostgres)('cancelling `npm run sync` through the service on one SQLite database', () => {
  it('cancelRun stops the CLI at a chunk boundary: run CANCELLED, CLI exit 1 with a CANCELLED summary', async () => {
    await using f = await startSyncFixture();
    await f.s3.putObject('big.bin', seededBytes(40 * CHUNK, 4));
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    proxy.setRule((req) => (req.method === 'GET' && req.key ? { kind: 'throttle', ms: 0, bytesPerSecond: 8 * CHUNK } : undefined));
    const cli = startCli(f, proxy.endpoint, { env: { RUN_LEASE_TTL: '2s' } });
    await waitFor(async () => ((await f.row('big.bin'))?.lastPosition ?? 0) >= 2 * CHUNK, 30_000, 'chunks committed');
    await using app = await startTestApp({
      env: { ...f.s3.env, DB_URL: f.config.dbUrl, DOWNLOAD_ROOT_FOLDER: f.config.downloadRoot, AWS_ENDPOINT_URL_S3: proxy.endpoint, S3_CHUNK_SIZE: String(CHUNK) },
    });
    const res = await gql(app, 'mutation ($id: ID!) { cancelRun(jobId: $id) { run { id status } } }', { id: f.jobId });
    expect(res.body.errors).toBeUndefined();
    const done = await cli.exit;
    expect(done.code, done.stderr).toBe(1);
    expect(JSON.parse(done.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'CANCELLED' });
    const [run] = await app.orm.em.fork().find(SyncRun, { jobId: f.jobId });
    expect(run!.status).toBe('CANCELLED');
    expect(((await f.row('big.bin'))?.lastPosition ?? 0) < 40 * CHUNK).toBe(true);
  });
});
