import { describe, expect, inject, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { wsClient } from '../helpers/clients.js';
import { onPostgres } from '../helpers/db-url.js';
import { seededBytes } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';
import { collect, LIVE_WAIT_MS, untilLive } from '../live/live-env.js';
import { startCli } from '../sync/sync-cli.js';
import { CHUNK, startSyncFixture } from '../sync/sync-fixture.js';

describe.skipIf(!onPostgres)('`npm run sync` with REDIS_URL', () => {
  it("publishes its run's progress: a subscriber on a service instance sees it from RUN_STARTED to RUN_FINISHED", async () => {
    await using f = await startSyncFixture();
    await f.s3.putObjects([
      ['big.bin', seededBytes(3 * CHUNK + 5, 7)],
      ['small.txt', seededBytes(100, 8)],
    ]);
    // Paused, so the service does not start a run of its own: every event seen is the CLI's.
    await f.orm.em.fork().nativeUpdate(Job, { id: f.jobId }, { status: 'PAUSED', nextRunAt: null });
    const redisUrl = inject('redisUrl');
    await using app = await startTestApp({ env: { ...f.s3.env, DB_URL: f.config.dbUrl, DOWNLOAD_ROOT_FOLDER: f.config.downloadRoot, REDIS_URL: redisUrl } });
    const client = wsClient(app.wsUrl, { lazy: false });
    try {
      const sub = collect(client, f.jobId);
      await untilLive(app.bus, [f.jobId], [sub]);
      const done = await startCli(f, f.s3.endpoint, { env: { REDIS_URL: redisUrl } }).exit;
      expect(done.code, done.stderr).toBe(0);
      await waitFor(() => sub.events.some((e) => e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS, 'RUN_FINISHED from the CLI');
      expect(new Set(sub.events.map((e) => e.runId)).size).toBe(1);
      expect(sub.events[0]).toMatchObject({ kind: 'RUN_STARTED', jobId: f.jobId });
      expect(sub.events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'SUCCEEDED' });
      expect(sub.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey).sort()).toEqual(['big.bin', 'small.txt']);
    } finally {
      await client.dispose();
    }
  });
});
