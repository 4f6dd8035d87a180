import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/poll.js';
import { startRelayedPostgres } from '../helpers/tcp-relay.js';
import { startTestApp } from '../helpers/test-app.js';
import { startCli } from '../sync/sync-cli.js';
import { numberedObjects, startThrottledSource } from './throttled-source.js';

/** A bound on a hang, not a timing: a stop held by the database would last DB_OUTAGE_WAIT (10 minutes). */
const EXIT_BOUND_MS = 30_000;

describe('`npm run sync` stopped while the database host hangs', () => {
  it('exits with code 1 once SHUTDOWN_TIMEOUT has passed, with one line saying so', async () => {
    await using relay = await startRelayedPostgres();
    await using source = await startThrottledSource(numberedObjects('cli/', 4, 400_000), 128 * 1024);
    const env = source.instanceEnv({ DB_URL: relay.dbUrl });
    let jobId: string;
    {
      await using app = await startTestApp({ env });
      jobId = (await app.services.jobs.create({ name: 'foreground', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: source.s3.bucket, prefix: 'cli/' } })).id;
    }
    const cli = startCli({ jobId, s3: source.s3, config: { dbUrl: relay.dbUrl, downloadRoot: env.DOWNLOAD_ROOT_FOLDER } }, source.proxy.endpoint, {
      env: { SHUTDOWN_TIMEOUT: '2s' },
    });
    await waitFor(() => source.proxy.counts.bytesToClient >= 128 * 1024, 30_000, 'the CLI to be downloading');
    relay.blackHole();
    cli.child.kill('SIGTERM');
    const exit = await Promise.race([cli.exit, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), EXIT_BOUND_MS).unref())]);
    if (typeof exit === 'string') cli.child.kill('SIGKILL');
    expect(exit).toMatchObject({ code: 1, signal: null });
    const lines = typeof exit === 'string' ? [] : exit.stderr.split('\n').filter((line) => line.includes('SHUTDOWN_TIMEOUT'));
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 50, msg: 'stop did not finish within 2 s (SHUTDOWN_TIMEOUT); exiting' }),
    ]);
  }, 90_000);
});
