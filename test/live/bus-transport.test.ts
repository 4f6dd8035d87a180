import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { seededBytes } from '../helpers/files.js';
import { createPausedJobInService } from '../helpers/jobs.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp } from '../helpers/test-app.js';
import { waitFor } from '../helpers/poll.js';
import { CHUNK_SIZE, LIVE_WAIT_MS, subscribeLive } from './live-env.js';

/**
 * What @graphql-yoga/redis-event-target does, without Redis: each instance gets its own EventTarget;
 * a dispatch on any of them reaches the listeners of all of them, later, as a JSON copy of `detail`
 * (so `Date`s arrive as strings).
 */
function createFakeRedis() {
  const locals: EventTarget[] = [];
  return {
    target(): EventTarget {
      const local = new EventTarget();
      locals.push(local);
      return {
        addEventListener: local.addEventListener.bind(local),
        removeEventListener: local.removeEventListener.bind(local),
        dispatchEvent(event: Event) {
          const message = JSON.stringify((event as CustomEvent).detail);
          setImmediate(() => locals.forEach((l) => l.dispatchEvent(new CustomEvent(event.type, { detail: JSON.parse(message) }))));
          return true;
        },
      };
    },
  };
}

describe('the event bus on another transport', () => {
  it('a subscriber on one instance follows a sync run by another, through a shared (serialising) event target', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([
      ['t/big.bin', seededBytes(3 * CHUNK_SIZE + 9, 5)],
      ['t/small.txt', 'small'],
    ]);
    const redis = createFakeRedis();
    const env = { ...s3.env, S3_CHUNK_SIZE: String(CHUNK_SIZE) };
    await using worker = await startTestApp({ env, build: { eventTarget: redis.target() } });
    await using api = await startTestApp({ env, build: { eventTarget: redis.target() } });
    const job = await createPausedJobInService(worker, { name: 'shared bus', schedule: 'hourly', bucket: s3.bucket, prefix: 't/' });
    // Instances share one database; these two test apps have one each: the subscriber's needs the job too.
    await api.orm.em.fork().insert(new Job({ id: job.id, name: job.name, connectorType: 'S3', bucketName: s3.bucket, schedule: 'hourly' }));
    await using sub = await subscribeLive(api, job.id);
    await worker.services.lifecycle.trigger(job.id);
    await waitFor(() => sub.events.some((e) => e.kind === 'RUN_FINISHED') || sub.results.some((r) => r.errors), LIVE_WAIT_MS);
    expect(sub.results.filter((r) => r.errors)).toEqual([]);
    expect(sub.events[0]).toMatchObject({ kind: 'RUN_STARTED', jobId: job.id });
    expect(sub.events.at(-1)).toMatchObject({ kind: 'RUN_FINISHED', runStatus: 'SUCCEEDED' });
    expect(sub.events.filter((e) => e.kind === 'OBJECT_DONE').map((e) => e.objectKey).sort()).toEqual(['t/big.bin', 't/small.txt']);
    expect(sub.events.every((e) => !Number.isNaN(Date.parse(e.at)) && e.at.endsWith('Z'))).toBe(true);
  });
});
