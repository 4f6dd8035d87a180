import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { gql } from '../helpers/clients.js';

const CREATE = `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`;
const DELETE = `mutation ($id: ID!) { deleteJob(id: $id) { deletedJobId } }`;
const RUN = `query ($id: ID!) { job(id: $id) { lastRun { status objectsDone } } }`;

type LastRun = { status: string; objectsDone: number };

async function createJob(app: TestApp, bucket: string, prefix: string): Promise<string> {
  const created = await gql<{ createJob: { job: { id: string } } }, unknown>(app, CREATE, {
    input: { name: `job-${prefix[0]}`, connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: bucket, prefix } },
  });
  expect(created.body.errors).toBeUndefined();
  return created.body.data!.createJob.job.id;
}

function finishedRun(app: TestApp, id: string): Promise<LastRun> {
  return waitFor(
    async () => {
      const last = (await gql<{ job: { lastRun: LastRun | null } }, unknown>(app, RUN, { id })).body.data?.job.lastRun;
      return last && last.status !== 'RUNNING' ? last : undefined;
    },
    30_000,
    `the run of ${id}`,
  );
}

/** Contract §1: SYNC_CONCURRENCY is the number of objects downloaded in parallel per process, whatever the number of jobs running. */
describe('SYNC_CONCURRENCY bounds the whole process', () => {
  it.each([
    ['on the service thread', 'false'],
    ['on the engine thread', 'true'],
  ])('three jobs running at once keep at most SYNC_CONCURRENCY GETs in flight (%s)', async (_where, syncThread) => {
    await using s3 = await startS3Server();
    const objects: Array<[string, Buffer]> = [];
    for (const p of ['a', 'b', 'c']) for (let i = 0; i < 4; i += 1) objects.push([`${p}/${i}.bin`, seededBytes(2000, objects.length)]);
    await s3.putObjects(objects);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    // Every GET is slow, so transfers that may overlap do.
    proxy.setRule((req) => (req.key ? { kind: 'latency', ms: 100 } : undefined));
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, SYNC_CONCURRENCY: '1', SYNC_THREAD: syncThread } });

    const ids: string[] = [];
    for (const prefix of ['a/', 'b/', 'c/']) ids.push(await createJob(app, s3.bucket, prefix));
    for (const id of ids) expect(await finishedRun(app, id)).toEqual({ status: 'SUCCEEDED', objectsDone: 4 });

    expect(proxy.counts.gets).toBe(12);
    expect(proxy.counts.maxGetsInFlight).toBe(1);
    for (const [index, prefix] of ['a', 'b', 'c'].entries()) {
      const [key, bytes] = objects[index * 4 + 3]!;
      expect(key.startsWith(prefix)).toBe(true);
      expect(await sha256File(join(app.config.downloadRoot, ids[index]!, key))).toBe(sha256(bytes));
    }
  });

  it('a job deleted while it holds the only slot lets the next job run', async () => {
    await using s3 = await startS3Server();
    await s3.putObjects([
      ...Array.from({ length: 20 }, (_, i) => [`slow/${i}.bin`, seededBytes(2000, i)] as [string, Buffer]),
      ['next/only.bin', seededBytes(3000, 99)],
    ]);
    await using proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
    proxy.setRule((req) => (req.key?.startsWith('slow/') ? { kind: 'latency', ms: 300 } : undefined));
    await using app = await startTestApp({ env: { ...s3.env, AWS_ENDPOINT_URL_S3: proxy.endpoint, SYNC_CONCURRENCY: '1' } });

    const slow = await createJob(app, s3.bucket, 'slow/');
    await waitFor(async () => proxy.counts.gets > 0 || undefined, 10_000, 'the slow job’s first GET');
    const next = await createJob(app, s3.bucket, 'next/');
    const deleted = await gql<{ deleteJob: { deletedJobId: string } }, unknown>(app, DELETE, { id: slow });
    expect(deleted.body.data?.deleteJob.deletedJobId).toBe(slow);

    expect(await finishedRun(app, next)).toEqual({ status: 'SUCCEEDED', objectsDone: 1 });
    expect(await sha256File(join(app.config.downloadRoot, next, 'next/only.bin'))).toBe(sha256(seededBytes(3000, 99)));
    expect(proxy.counts.gets).toBeLessThan(21);
  });
});
