import { describe, expect, inject, it } from 'vitest';
import { onPostgres } from '../helpers/db-url.js';
import { seededBytes } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';
import { LIVE_WAIT_MS, subscribeLive, untilLive } from '../live/live-env.js';

describe.skipIf(!onPostgres)('two deployments on one Redis server', () => {
  it("an every-job subscription on one deployment never sees the other's runs", async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([['secret/report.csv', seededBytes(100, 3)]]);
    const env = { ...s3.env, REDIS_URL: inject('redisUrl') };
    // Each app gets a fresh database of its own: two deployments, one Redis.
    await using deploymentA = await startTestApp({ env });
    await using deploymentB = await startTestApp({ env });
    const job = await createPausedJobInService(deploymentA, { name: 'a-only', schedule: 'hourly', bucket: s3.bucket, prefix: 'secret/' });
    await using subA = await subscribeLive(deploymentA, job.id, { everyJob: true });
    await using subB = await subscribeLive(deploymentB, job.id, { everyJob: true });

    await deploymentA.services.lifecycle.trigger(job.id);
    await waitFor(() => subA.events.some((e) => e.jobId === job.id && e.kind === 'RUN_FINISHED'), LIVE_WAIT_MS, "RUN_FINISHED on A's subscriber");
    const runOnA = subA.events.filter((e) => e.jobId === job.id && e.kind !== 'CHUNK');
    expect(runOnA.map((e) => [e.kind, e.objectKey])).toEqual([
      ['RUN_STARTED', null],
      ['OBJECT_DONE', 'secret/report.csv'],
      ['RUN_FINISHED', null],
    ]);

    // B's own event, published after A's run ended, reaches B on the channel A's events would
    // have come by: anything of A's that could reach B has arrived before it.
    subB.probed = false;
    await untilLive(deploymentB.bus, [job.id], [subB]);
    expect(subB.events).toEqual([]);
  });
});
